"""Who may generate and read which lessons, through the real stack."""

from __future__ import annotations

import uuid

import httpx

from devstack.testing import RunningStack


def _url(stack: RunningStack, path: str) -> str:
    return f"{stack.app_url('course-agent')}{path}"


def _learner() -> str:
    return f"learner-{uuid.uuid4().hex[:12]}"


def test_generating_a_lesson_needs_a_token(stack: RunningStack, anonymous: httpx.Client) -> None:
    response = anonymous.post(_url(stack, "/generate-lesson"), json={"learner_id": _learner()})

    assert response.status_code == 401
    assert response.headers["www-authenticate"].startswith("Bearer")


def test_a_learner_generates_and_reads_their_own_lessons_only(stack: RunningStack, anonymous: httpx.Client) -> None:
    ada, bob = _learner(), _learner()
    as_ada, as_bob = stack.bearer(ada), stack.bearer(bob)
    lesson = anonymous.post(_url(stack, "/generate-lesson"), json={"learner_id": ada}, headers=as_ada, timeout=60)
    assert lesson.status_code == 201
    lesson_id = lesson.json()["lesson_id"]

    assert anonymous.get(_url(stack, "/lessons"), params={"learner_id": ada}, headers=as_ada).status_code == 200
    assert anonymous.get(_url(stack, f"/lessons/{lesson_id}"), headers=as_ada).status_code == 200
    assert anonymous.get(_url(stack, f"/lessons/{lesson_id}"), headers=as_bob).status_code == 403
    assert anonymous.get(_url(stack, "/lessons"), params={"learner_id": ada}, headers=as_bob).status_code == 403
    response = anonymous.post(_url(stack, "/generate-lesson"), json={"learner_id": ada}, headers=as_bob)
    assert response.status_code == 403


def test_the_feed_of_every_learners_lessons_needs_the_admin_scope(stack: RunningStack, anonymous: httpx.Client) -> None:
    assert anonymous.get(_url(stack, "/lessons"), headers=stack.bearer(_learner())).status_code == 403
    assert anonymous.get(_url(stack, "/lessons"), headers=stack.admin_headers).status_code == 200


def test_a_learner_asking_for_lessons_faster_than_the_limit_gets_429_with_retry_after(
    stack: RunningStack, anonymous: httpx.Client
) -> None:
    """Invalid bodies: each still counts against the caller, and no lesson is made."""
    mine = stack.bearer(_learner())
    answers = [anonymous.post(_url(stack, "/generate-lesson"), json={}, headers=mine) for _ in range(20)]
    statuses = [answer.status_code for answer in answers]

    assert statuses[0] == 422
    assert 429 in statuses
    assert int(answers[statuses.index(429)].headers["retry-after"]) >= 1
