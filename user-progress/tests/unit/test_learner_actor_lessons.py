"""The learner actor taking a bulk delivery's lesson events: one transaction, the same learner as one
lesson at a time, and nothing of a batch that failed part way left for a later call to read.

The real ``LearnerProgressActor`` runs on the Dapr SDK's state manager over the in-memory actor state
store of ``learnflow_common.dapr.testing``.
"""

from __future__ import annotations

from typing import Any

import pytest

from devstack.testing import AppAuth
from learnflow_common.dapr.testing import ActorHost
from user_progress.adapters.actors import LearnerProgressActor
from user_progress.ledger import SNAPSHOT_KEY
from user_progress.settings import Settings

LEARNER = "ada"


def _lesson(lesson_id: str, day: int = 20) -> dict[str, Any]:
    return {
        "event_id": f"event-{lesson_id}",
        "data": {
            "lesson_id": lesson_id,
            "learner_id": LEARNER,
            "topic": "loops",
            "difficulty": "beginner",
            "title": "Loops",
            "rationale": "next in the curriculum",
            "generator": "builtin",
            "created_at": f"2026-11-{day:02d}T10:00:00+00:00",
        },
    }


def _host(app_auth: AppAuth) -> ActorHost:
    return ActorHost(LearnerProgressActor, app_auth.settings(Settings, "user-progress"))


async def test_a_batch_of_a_learners_lessons_is_remembered_in_one_transaction_as_one_at_a_time_would(
    app_auth: AppAuth,
) -> None:
    lessons = [_lesson("l1"), _lesson("l2", day=30), _lesson("l3", day=1), _lesson("l1")]  # l3: December; last: again
    batched, one_by_one = _host(app_auth), _host(app_auth)

    answers = await batched.actor(LEARNER).assign_lesson([lesson.copy() for lesson in lessons])
    for lesson in lessons:
        await one_by_one.actor(LEARNER).assign_lesson([lesson])

    assert answers == [{"assigned": 1}, {"assigned": 2}, {"assigned": 3}, {"assigned": 3}]
    assert batched.store.transactions == 1
    assert batched.store.stored(LEARNER) == one_by_one.store.stored(LEARNER)


async def test_a_batch_that_fails_part_way_leaves_nothing_staged_for_the_next_call(app_auth: AppAuth) -> None:
    host = _host(app_auth)
    broken = _lesson("l2")
    del broken["data"]["topic"]

    with pytest.raises(KeyError):
        await host.actor(LEARNER).assign_lesson([_lesson("l1"), broken])
    answers = await host.actor(LEARNER).assign_lesson([_lesson("l1")])  # the same live instance

    assert answers == [{"assigned": 1}]  # not taken for a redelivery of a lesson never stored
    assert host.store.stored(LEARNER)[SNAPSHOT_KEY]["lessons_assigned"] == 1
