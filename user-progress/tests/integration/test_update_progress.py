"""POST /update-progress and GET /status through the real sidecar, actor runtime and PostgreSQL."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import httpx

from devstack.testing import RunningStack


def test_same_event_sent_twice_is_recorded_once_and_answered_the_same(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    event = learning_event(learner)
    url = f"{stack.app_url('user-progress')}/update-progress"

    first = http.post(url, json=event)
    second = http.post(url, json=event)

    assert first.status_code == second.status_code == 200
    assert first.json()["events_recorded"] == second.json()["events_recorded"] == 1
    assert first.json()["xp"] == second.json()["xp"]


def test_reusing_an_event_id_for_a_different_event_is_a_conflict(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    event = learning_event(learner)
    url = f"{stack.app_url('user-progress')}/update-progress"
    http.post(url, json=event)

    response = http.post(url, json={**event, "score": 10})

    assert response.status_code == 409
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["event_id"] == event["event_id"]
    assert (
        http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner}).json()["events_recorded"]
        == 1
    )


def test_the_same_instant_written_with_another_offset_is_a_duplicate_not_a_conflict(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    moment = datetime.now(UTC).replace(microsecond=0) - timedelta(hours=1)
    event = learning_event(learner, completed_at=moment.isoformat())
    url = f"{stack.app_url('user-progress')}/update-progress"
    first = http.post(url, json=event)

    again = http.post(url, json={**event, "completed_at": moment.astimezone(timezone(timedelta(hours=1))).isoformat()})

    assert first.status_code == again.status_code == 200
    assert again.json()["events_recorded"] == 1


def test_an_event_id_is_unique_per_learner_so_two_learners_may_use_the_same_one(
    stack: RunningStack, http: httpx.Client, new_learner: Any, learning_event: Any
) -> None:
    ada, bob = new_learner(), new_learner()
    url = f"{stack.app_url('user-progress')}/update-progress"
    shared_id = f"shared-{ada}"

    for_ada = http.post(url, json=learning_event(ada, event_id=shared_id, score=90))
    for_bob = http.post(url, json=learning_event(bob, event_id=shared_id, score=40))

    assert for_ada.status_code == for_bob.status_code == 200
    assert for_ada.json()["events_recorded"] == for_bob.json()["events_recorded"] == 1
    assert for_bob.json()["topics"][0]["average_score"] == 40


def test_status_reports_the_contract_fields(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    for activity, score in (("lesson", None), ("exercise", 70), ("exercise", 80)):
        http.post(
            f"{stack.app_url('user-progress')}/update-progress",
            json=learning_event(learner, activity=activity, score=score, timezone="Asia/Tokyo"),
        )

    status = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner}).json()

    assert status["learner_id"] == learner
    assert status["timezone"] == "Asia/Tokyo"
    assert status["activity_counts"] == {"lesson": 1, "exercise": 2, "quiz": 0, "review": 0}
    assert status["xp"] == 10 + 17 + 18
    assert status["level"] == 1
    assert status["streak"]["current"] == 1
    assert set(status["streak"]) == {"current", "longest", "freezes_available", "last_active_date"}
    [topic] = status["topics"]
    assert (topic["missing_evidence"], topic["mastery_ceiling"]) == (["quiz"], 70)
    assert topic["topic"] == "variables"
    assert 0 <= topic["mastery"] <= 100
    assert topic["level"] in {"Beginner", "Learning", "Proficient", "Mastered"}
    assert topic["average_score"] == 75.0
    assert "first-steps" in {achievement["id"] for achievement in status["achievements"]["unlocked"]}
    assert status["achievements"]["locked"]
    assert isinstance(status["reviews_due"], list)
    assert status["recommended_topic"] == "variables"


def test_status_read_again_after_an_update_is_the_updated_one(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    """GET /status sends a kept answer again only for the snapshot it was computed from: one read
    after an update is that update's answer, however often the one before was read."""
    base = stack.app_url("user-progress")
    http.post(f"{base}/update-progress", json=learning_event(learner, activity="exercise", score=70))
    before = [http.get(f"{base}/status", params={"learner_id": learner}) for _ in range(3)]

    answered = http.post(f"{base}/update-progress", json=learning_event(learner, activity="quiz", score=90))
    after = http.get(f"{base}/status", params={"learner_id": learner})

    assert [response.json()["events_recorded"] for response in before] == [1, 1, 1]
    assert before[0].headers["content-type"] == "application/json"
    assert after.json() == answered.json()
    assert after.json()["events_recorded"] == 2


def test_status_of_an_unknown_learner_is_404_problem(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    response = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner})

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["type"].endswith("/learner-not-found")


async def test_hundred_concurrent_updates_for_one_learner_add_up_like_sequential_ones(
    stack: RunningStack, new_learner: Any, learning_event: Any
) -> None:
    concurrent_learner, sequential_learner = new_learner(), new_learner()
    shapes = [
        {
            "activity": ("lesson", "exercise", "quiz", "review")[i % 4],
            "score": None if i % 4 == 0 else 50 + i % 50,
            "topic": ("variables", "loops", "functions")[i % 3],
        }
        for i in range(100)
    ]
    url = f"{stack.app_url('user-progress')}/update-progress"
    async with httpx.AsyncClient(timeout=60, headers=stack.admin_headers) as client:
        responses = await asyncio.gather(
            *(client.post(url, json=learning_event(concurrent_learner, **shape)) for shape in shapes)
        )
        for shape in shapes:
            await client.post(url, json=learning_event(sequential_learner, **shape))
        concurrent = (
            await client.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": concurrent_learner})
        ).json()
        sequential = (
            await client.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": sequential_learner})
        ).json()

    assert [response.status_code for response in responses] == [200] * 100
    assert concurrent["events_recorded"] == sequential["events_recorded"] == 100
    assert concurrent["xp"] == sequential["xp"]
    assert (
        concurrent["activity_counts"]
        == sequential["activity_counts"]
        == {"lesson": 25, "exercise": 25, "quiz": 25, "review": 25}
    )
    assert [(t["topic"], t["counts"]) for t in concurrent["topics"]] == [
        (t["topic"], t["counts"]) for t in sequential["topics"]
    ]
