"""Permanent is never "try again": through the real sidecar and PostgreSQL, a request that can
never succeed is a 4xx (or a 500 without Retry-After) and stores nothing; only an outage is 503
(see test_outages.py: the state store frozen is 503 + Retry-After)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from devstack.testing import RunningStack
from learnflow_common.dapr import DaprSidecar, SidecarRefused

STORE = "statestore"
#: Over daprd's default --max-body-size (4 MiB).
OVER_THE_SIDECARS_LIMIT = 5 * 1024 * 1024


@pytest.fixture
async def state_sidecar(stack: RunningStack) -> AsyncIterator[DaprSidecar]:
    """The same client on course-agent's sidecar: the one whose allow-list has the plain state API
    (user-progress keeps all its state in actors)."""
    client = DaprSidecar(stack.dapr_url("course-agent"), stack.dapr_headers["dapr-api-token"], timeout_seconds=30)
    try:
        yield client
    finally:
        await client.aclose()


def _stored_keys(pg: Any, prefix: str) -> list[str]:
    return [row[0] for row in pg.execute("select key from state where key like %s", (f"{prefix}%",)).fetchall()]


@pytest.mark.parametrize(
    ("field", "value"),
    [("event_id", "evt-\u0000-1"), ("event_id", "evt-\x07"), ("lesson_id", "ada~" + "0" * 31 + "\u0000")],
    ids=["nul-event-id", "bell-event-id", "nul-lesson-id"],
)
def test_event_id_with_nul_is_refused_before_anything_is_stored(
    stack: RunningStack, http: httpx.Client, pg: Any, learner: str, learning_event: Any, field: str, value: str
) -> None:
    url = f"{stack.app_url('user-progress')}/update-progress"

    response = http.post(url, json=learning_event(learner, **{field: value}))

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in response.headers
    assert [error["field"] for error in response.json()["errors"]] == [field]
    assert _stored_keys(pg, f"user-progress||LearnerProgressActor||{learner}||") == []
    assert http.post(url, json=learning_event(learner)).status_code == 200  # the store was never disturbed


async def test_a_value_the_store_refuses_is_a_refusal_not_an_outage_and_nothing_is_stored(
    state_sidecar: DaprSidecar, pg: Any
) -> None:
    key = f"probe-{uuid.uuid4().hex[:8]}"

    with pytest.raises(SidecarRefused) as refused:
        await state_sidecar.save_state(STORE, key, {"text": "a\u0000b"})  # PostgreSQL JSONB: SQLSTATE 22P05

    assert refused.value.status == 500
    assert "22P05" in str(refused.value)
    assert _stored_keys(pg, f"course-agent||{key}") == []
    await state_sidecar.save_state(STORE, key, {"text": "ab"})  # a success resets the breaker's failure count
    assert _stored_keys(pg, f"course-agent||{key}") == [f"course-agent||{key}"]


async def test_a_body_over_the_sidecars_limit_is_413_not_an_outage(
    sidecar: DaprSidecar, state_sidecar: DaprSidecar, learner: str
) -> None:
    huge = "x" * OVER_THE_SIDECARS_LIMIT

    with pytest.raises(SidecarRefused) as to_actor:
        await sidecar.invoke_actor("LearnerProgressActor", learner, "RecordEvent", {"padding": huge})
    with pytest.raises(SidecarRefused) as to_store:
        await state_sidecar.save_state(STORE, f"probe-{learner}", huge)

    assert to_actor.value.status == 413
    assert to_store.value.status == 413


def test_a_body_over_the_apps_limit_is_413_problem_without_retry_after(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    body = learning_event(learner, event_id="evt-" + "x" * 70_000)

    response = http.post(f"{stack.app_url('user-progress')}/update-progress", json=body)

    assert response.status_code == 413
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in response.headers


@pytest.mark.parametrize(
    ("query", "field"),
    [({"from": "9999-12-31", "to": "9999-12-31"}, "from"), ({"to": "0001-01-05"}, "to")],
)
def test_history_dates_out_of_range_are_422_naming_the_field(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any, query: dict[str, str], field: str
) -> None:
    app = stack.app_url("user-progress")
    assert http.post(f"{app}/update-progress", json=learning_event(learner)).status_code == 200

    response = http.get(f"{app}/history", params={"learner_id": learner, **query})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("week", ["0000-W01", "9999-W52", "2026-W99", "٢٠٢٦-W47"])
def test_a_leaderboard_week_out_of_range_or_not_a_week_is_422_naming_week(
    stack: RunningStack, http: httpx.Client, week: str
) -> None:
    response = http.get(f"{stack.app_url('user-progress')}/leaderboard", params={"week": week})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "week"
