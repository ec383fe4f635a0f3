"""Who may read and write which learner, through the real stack: bearer tokens from the stack's
development issuer, checked by the app against its JWKS; calls through Dapr as a service."""

from __future__ import annotations

from typing import Any

import httpx
import pytest

from devstack.auth import DevIssuer
from devstack.testing import RunningStack, eventually

LEARNER_ROUTES = ["/status", "/history", "/statistics", "/achievements", "/export"]


def _url(stack: RunningStack, path: str) -> str:
    return f"{stack.app_url('user-progress')}{path}"


@pytest.mark.parametrize("path", [*LEARNER_ROUTES, "/leaderboard"])
def test_every_public_route_without_a_token_is_401_with_a_bearer_challenge(
    stack: RunningStack, anonymous: httpx.Client, learner: str, path: str
) -> None:
    response = anonymous.get(_url(stack, path), params={"learner_id": learner})

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="learnflow"'


def test_an_update_without_a_token_is_401_and_stores_nothing(
    stack: RunningStack, anonymous: httpx.Client, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    response = anonymous.post(_url(stack, "/update-progress"), json=learning_event(learner))

    assert response.status_code == 401
    assert http.get(_url(stack, "/status"), params={"learner_id": learner}).status_code == 404


def test_a_token_from_another_issuer_key_is_401(
    stack: RunningStack, anonymous: httpx.Client, learner: str, tmp_path: Any
) -> None:
    stranger = DevIssuer(tmp_path / "stranger", stack.issuer.issuer, stack.issuer.audience).ensure()
    headers = {"Authorization": f"Bearer {stranger.token(learner)}"}

    response = anonymous.get(_url(stack, "/status"), params={"learner_id": learner}, headers=headers)

    assert response.status_code == 401
    assert 'error="invalid_token"' in response.headers["www-authenticate"]


def test_an_expired_token_is_401(stack: RunningStack, anonymous: httpx.Client, learner: str) -> None:
    headers = {"Authorization": f"Bearer {stack.issuer.token(learner, ttl_seconds=-120)}"}

    response = anonymous.get(_url(stack, "/status"), params={"learner_id": learner}, headers=headers)

    assert response.status_code == 401
    assert "expired" in response.json()["detail"]


def test_a_learner_reads_and_writes_themself(
    stack: RunningStack, anonymous: httpx.Client, learner: str, learning_event: Any
) -> None:
    mine = stack.bearer(learner)

    assert anonymous.post(_url(stack, "/update-progress"), json=learning_event(learner), headers=mine).is_success
    for path in LEARNER_ROUTES:
        assert anonymous.get(_url(stack, path), params={"learner_id": learner}, headers=mine).status_code == 200, path


def test_a_learner_may_not_read_another_learner_and_cannot_tell_whether_they_exist(
    stack: RunningStack, anonymous: httpx.Client, http: httpx.Client, new_learner: Any, learning_event: Any
) -> None:
    ada, bob, nobody = new_learner(), new_learner(), new_learner()
    assert http.post(_url(stack, "/update-progress"), json=learning_event(bob)).is_success

    for other in (bob, nobody):
        for path in LEARNER_ROUTES:
            response = anonymous.get(_url(stack, path), params={"learner_id": other}, headers=stack.bearer(ada))
            assert response.status_code == 403, path
            assert response.headers["content-type"] == "application/problem+json"


def test_a_learner_may_not_write_for_another_learner_and_nothing_is_stored(
    stack: RunningStack, anonymous: httpx.Client, http: httpx.Client, new_learner: Any, learning_event: Any
) -> None:
    ada, bob = new_learner(), new_learner()

    response = anonymous.post(_url(stack, "/update-progress"), json=learning_event(bob), headers=stack.bearer(ada))

    assert response.status_code == 403
    assert http.get(_url(stack, "/status"), params={"learner_id": bob}).status_code == 404


def test_the_course_agent_reads_a_learners_status_as_a_service_through_dapr(
    stack: RunningStack, anonymous: httpx.Client, learner: str
) -> None:
    """A learner it knows nothing of: it asks User Progress for their status without any learner token,
    and User Progress knows the call as a service's by the sidecar's app token (a 404: no progress)."""
    mine = stack.bearer(learner)

    lesson = anonymous.post(
        f"{stack.app_url('course-agent')}/generate-lesson", json={"learner_id": learner}, headers=mine, timeout=60
    )

    assert lesson.status_code == 201
    assert lesson.json()["rationale"].endswith("(new learner: no progress recorded yet)")


def test_the_leaderboard_shows_pseudonyms_and_marks_the_callers_own_entry(
    stack: RunningStack, anonymous: httpx.Client, learner: str, learning_event: Any
) -> None:
    mine = stack.bearer(learner)
    anonymous.post(_url(stack, "/update-progress"), json=learning_event(learner, score=100), headers=mine)

    def my_entry() -> dict[str, Any] | None:
        return anonymous.get(_url(stack, "/leaderboard"), headers=mine).json()["learner"]

    entry = eventually(my_entry, timeout=60)
    board = anonymous.get(_url(stack, "/leaderboard"), params={"limit": 100}, headers=mine)

    assert entry["you"] is True
    assert learner not in board.text
    assert all(set(shown) == {"rank", "display_name", "xp", "you"} for shown in board.json()["entries"])


def test_a_learner_asking_for_another_learners_rank_is_403(
    stack: RunningStack, anonymous: httpx.Client, new_learner: Any
) -> None:
    response = anonymous.get(
        _url(stack, "/leaderboard"), params={"learner_id": new_learner()}, headers=stack.bearer(new_learner())
    )

    assert response.status_code == 403


def test_a_learner_sending_faster_than_the_limit_gets_429_with_retry_after(
    stack: RunningStack, anonymous: httpx.Client, learner: str
) -> None:
    """Invalid bodies: each still counts against the caller, and nothing is stored."""
    mine = stack.bearer(learner)
    answers = [anonymous.post(_url(stack, "/update-progress"), json={}, headers=mine) for _ in range(80)]
    statuses = [answer.status_code for answer in answers]

    assert statuses[0] == 422
    assert 429 in statuses
    limited = answers[statuses.index(429)]
    assert int(limited.headers["retry-after"]) >= 1
    assert limited.headers["content-type"] == "application/problem+json"
