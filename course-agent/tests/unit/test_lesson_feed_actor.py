"""The lesson feed's day actor taking a bulk delivery's lessons: one transaction, the same feed as one
lesson at a time, and nothing of a batch that failed part way left for a later call to read.

The real ``LessonFeedActor`` runs on the Dapr SDK's state manager over the in-memory actor state
store of ``learnflow_common.dapr.testing``; the day's listing in the catalog actor (another actor,
called through the sidecar) is a recorded call here.
"""

from __future__ import annotations

from typing import Any

import pytest

from course_agent.adapters.actor_interface import CATALOG_ACTOR
from course_agent.adapters.feed import LessonFeedActor
from course_agent.feed_index import MINUTES_KEY
from course_agent.settings import Settings
from devstack.testing import AppAuth
from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.testing import ActorHost

DAY = "2026-11-20"


class Catalog:
    """The sidecar's ``invoke_actor`` for the catalog actor: the days listed, or an outage."""

    def __init__(self) -> None:
        self.days: list[str] = []
        self.down = False

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        assert (actor_type, method) == (CATALOG_ACTOR, "AddDay")
        if self.down:
            raise SidecarUnavailable("placement not answering", "actors")
        self.days.append(data)
        return None


def _host(app_auth: AppAuth) -> tuple[ActorHost, Catalog]:
    host = ActorHost(LessonFeedActor, app_auth.settings(Settings, "course-agent"))
    catalog = Catalog()
    host.publisher.invoke_actor = catalog.invoke_actor  # type: ignore[attr-defined]
    return host, catalog


def _lesson(lesson_id: str, minute: int) -> dict[str, Any]:
    return {
        "event_id": f"event-{lesson_id}",
        "data": {
            "lesson_id": lesson_id,
            "learner_id": "ada",
            "topic": "loops",
            "difficulty": "beginner",
            "title": f"Loops {lesson_id}",
            "rationale": "next in the curriculum",
            "generator": "builtin",
            "created_at": f"{DAY}T10:{minute:02d}:00+00:00",
        },
    }


async def test_a_batch_of_a_days_lessons_is_added_in_one_transaction_as_one_at_a_time_would(
    app_auth: AppAuth,
) -> None:
    lessons = [_lesson("l1", 1), _lesson("l2", 1), _lesson("l3", 5), _lesson("l1", 1)]  # the last: a redelivery
    batched, batched_catalog = _host(app_auth)  # one host at a time: the actor class holds its sidecar
    answers = await batched.actor(DAY).add(lessons)
    one_by_one, _ = _host(app_auth)
    for lesson in lessons:
        await one_by_one.actor(DAY).add([lesson])

    assert answers == [{"added": True}, {"added": True}, {"added": True}, {"added": False}]
    assert batched.store.transactions == 1
    assert batched.store.stored(DAY) == one_by_one.store.stored(DAY)
    assert batched_catalog.days == [DAY]  # listed once, before the day's first lessons are stored


async def test_a_batch_whose_day_could_not_be_listed_stores_nothing_and_is_added_when_redelivered(
    app_auth: AppAuth,
) -> None:
    host, catalog = _host(app_auth)
    catalog.down = True

    with pytest.raises(SidecarUnavailable):
        await host.actor(DAY).add([_lesson("l1", 1)])
    assert host.store.stored(DAY) == {}
    catalog.down = False
    answers = await host.actor(DAY).add([_lesson("l1", 1)])

    assert answers == [{"added": True}]
    assert catalog.days == [DAY]
    assert host.store.stored(DAY)[MINUTES_KEY]


async def test_a_batch_that_fails_part_way_leaves_nothing_staged_for_the_next_call(app_auth: AppAuth) -> None:
    host, _ = _host(app_auth)
    await host.actor(DAY).add([_lesson("l0", 0)])
    broken = _lesson("l2", 2)
    del broken["data"]["title"]

    with pytest.raises(KeyError):
        await host.actor(DAY).add([_lesson("l1", 1), broken])
    answers = await host.actor(DAY).add([_lesson("l1", 1)])  # the same live instance

    assert answers == [{"added": True}]  # not taken for a redelivery of a lesson never stored
    assert host.store.transactions == 2
