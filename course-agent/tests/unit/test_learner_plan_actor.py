"""The learner's plan actor after a failed save: nothing unsaved may survive in its cache.

The real ``LearnerPlanActor`` runs on the Dapr SDK's state manager; the sidecar's actor API is an
in-memory stand-in that fails a save like a connection lost mid-request (``learnflow_common.dapr.testing``).
The SDK marks values saved before it sends them: a cache kept after the failure would answer the
retry from values that were never stored.
"""

from __future__ import annotations

from typing import Any

import pytest

from course_agent.adapters.actors import LearnerPlanActor, lesson_key
from course_agent.adapters.knowledge import knowledge_key
from course_agent.layout import META_KEY, index_key
from course_agent.settings import Settings
from devstack.testing import AppAuth
from learnflow_common.dapr.testing import ActorHost

LEARNER = "ada"


@pytest.fixture
def host(app_auth: AppAuth) -> ActorHost:
    settings = app_auth.settings(Settings, "course-agent")
    return ActorHost(LearnerPlanActor, settings)


def _delivery(event_id: str, score: int = 40, seq: int = 1) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "data": {
            "learner_id": LEARNER,
            "source_event_id": f"source-{event_id}",
            "activity": "exercise",
            "topic": "variables",
            "score": score,
            "completed_at": "2026-11-20T10:00:00Z",
            "events_recorded": seq,
            "xp_earned": 14,
            "xp_total": 14,
            "level": 1,
            "topic_mastery": 20,
            "topic_level": "Beginner",
            "topic_next_review_at": "2026-11-21T10:00:00Z",
            "week": "2026-W47",
            "week_xp": 14,
        },
    }


async def test_a_progress_event_whose_save_failed_is_applied_when_redelivered(host: ActorHost) -> None:
    host.store.fail_saves = ["transport"]

    with pytest.raises(ConnectionResetError):
        await host.actor(LEARNER).apply_progress([_delivery("p1")])
    redelivered = await host.actor(LEARNER).apply_progress([_delivery("p1")])

    assert redelivered == [{"applied": True}]
    assert knowledge_key(LEARNER) in host.publisher.state


async def test_a_batch_of_a_learners_events_is_folded_in_order_and_saved_in_one_transaction(app_auth: AppAuth) -> None:
    batched, one_by_one = (ActorHost(LearnerPlanActor, app_auth.settings(Settings, "course-agent")) for _ in range(2))
    events = [_delivery("p1", 40, seq=1), _delivery("p2", 90, seq=2), _delivery("p1", 40, seq=1)]

    answers = await batched.actor(LEARNER).apply_progress(events)
    for event in events:
        await one_by_one.actor(LEARNER).apply_progress([event])

    assert answers == [{"applied": True}, {"applied": True}, {"applied": False}]  # the last: a redelivery
    assert batched.store.transactions == 1
    assert batched.publisher.state[knowledge_key(LEARNER)] == one_by_one.publisher.state[knowledge_key(LEARNER)]


async def test_a_lesson_whose_save_failed_is_generated_and_stored_when_the_request_is_retried(host: ActorHost) -> None:
    await host.actor(LEARNER).apply_progress([_delivery("p1")])
    host.store.fail_saves = ["transport"]

    with pytest.raises(ConnectionResetError):
        await host.actor(LEARNER).generate_lesson({"request_id": "r1"})
    answer = await host.actor(LEARNER).generate_lesson({"request_id": "r1"})
    lesson = answer["lesson"]

    stored = host.store.stored(LEARNER)
    assert stored[lesson_key(lesson["lesson_id"])] == lesson
    assert stored[META_KEY]["lessons"] == 1
    assert [summary["lesson_id"] for summary in stored[index_key(1)]] == [lesson["lesson_id"]]
    assert [event.data["lesson_id"] for _, event, _ in host.publisher.published] == [lesson["lesson_id"]]
    assert answer["replayed"] is False
    assert await host.actor(LEARNER).generate_lesson({"request_id": "r1"}) == {"lesson": lesson, "replayed": True}
