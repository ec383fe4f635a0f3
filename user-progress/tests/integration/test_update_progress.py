"""POST /update-progress and GET /status through the real sidecar, actor runtime and PostgreSQL."""

from __future__ import annotations

import uuid
from typing import Any

import httpx

from devstack.testing import RunningStack


def _event(learner_id: str, **overrides: Any) -> dict[str, Any]:
    return {
        "event_id": f"evt-{uuid.uuid4()}",
        "learner_id": learner_id,
        "activity": "quiz",
        "topic": "variables",
        "score": 90,
        "completed_at": "2026-11-22T10:00:00+01:00",
        **overrides,
    }


def _learner() -> str:
    return f"learner-{uuid.uuid4().hex[:12]}"


def test_same_event_sent_twice_is_recorded_once_and_answered_the_same(stack: RunningStack, http: httpx.Client) -> None:
    event = _event(_learner())
    url = f"{stack.app_url('user-progress')}/update-progress"

    first = http.post(url, json=event)
    second = http.post(url, json=event)

    assert first.status_code == second.status_code == 200
    assert first.json() == second.json()
    assert second.json()["events_recorded"] == 1


def test_reusing_an_event_id_for_a_different_event_is_a_conflict(stack: RunningStack, http: httpx.Client) -> None:
    event = _event(_learner())
    url = f"{stack.app_url('user-progress')}/update-progress"
    http.post(url, json=event)

    response = http.post(url, json={**event, "score": 10})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["event_id"] == event["event_id"]


def test_status_reports_recorded_events(stack: RunningStack, http: httpx.Client) -> None:
    learner_id = _learner()
    for activity, score in (("lesson", None), ("exercise", 70), ("exercise", 80)):
        http.post(
            f"{stack.app_url('user-progress')}/update-progress", json=_event(learner_id, activity=activity, score=score)
        )

    status = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner_id}).json()

    assert status["events_recorded"] == 3
    assert status["activity_counts"] == {"lesson": 1, "exercise": 2, "quiz": 0, "review": 0}


def test_status_of_an_unknown_learner_is_404_problem(stack: RunningStack, http: httpx.Client) -> None:
    response = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": _learner()})

    assert response.status_code == 404
    assert response.json()["type"].endswith("/learner-not-found")
