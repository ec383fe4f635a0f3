"""A learner the agent has no knowledge of: User Progress is asked where they stand, and its "no such
learner" is remembered for a while by the learner's actor, so a new learner's lessons do not each
pay a call to User Progress. Progress reaches the agent through the same actor, so it is used as
soon as it arrives."""

from __future__ import annotations

import pytest

from course_agent.adapters import actors
from course_agent.adapters.actors import NO_PROGRESS_REMEMBERED_SECONDS, USER_PROGRESS_APP_ID, LearnerPlanActor
from course_agent.settings import Settings
from devstack.testing import AppAuth
from learnflow_common.dapr.sidecar import SidecarResponse
from learnflow_common.dapr.testing import ActorHost

LEARNER = "newcomer"
ASKED = (USER_PROGRESS_APP_ID, "status")


@pytest.fixture
def host(app_auth: AppAuth) -> ActorHost:
    return ActorHost(LearnerPlanActor, app_auth.settings(Settings, "course-agent"))


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    clock = Clock()
    monkeypatch.setattr(actors.time, "monotonic", clock)
    return clock


async def test_a_new_learners_lessons_ask_user_progress_once_while_it_knows_nothing_of_them(
    host: ActorHost, clock: Clock
) -> None:
    first = await host.actor(LEARNER).generate_lesson({})
    clock.now += NO_PROGRESS_REMEMBERED_SECONDS - 1
    second = await host.actor(LEARNER).generate_lesson({})

    assert host.publisher.invocations == [ASKED]
    for answer in (first, second):
        assert "new learner: no progress recorded yet" in answer["lesson"]["rationale"]


async def test_user_progress_is_asked_again_once_its_answer_is_older_than_the_bound(
    host: ActorHost, clock: Clock
) -> None:
    await host.actor(LEARNER).generate_lesson({})
    clock.now += NO_PROGRESS_REMEMBERED_SECONDS + 1
    await host.actor(LEARNER).generate_lesson({})

    assert host.publisher.invocations == [ASKED, ASKED]


async def test_an_answer_other_than_no_such_learner_is_not_remembered(host: ActorHost, clock: Clock) -> None:
    host.publisher.answers[ASKED] = SidecarResponse(503, b"", {})

    await host.actor(LEARNER).generate_lesson({})
    await host.actor(LEARNER).generate_lesson({})

    assert host.publisher.invocations == [ASKED, ASKED]


async def test_a_new_activation_asks_again(host: ActorHost, clock: Clock) -> None:
    await host.actor(LEARNER).generate_lesson({})
    host.restart()
    await host.actor(LEARNER).generate_lesson({})

    assert host.publisher.invocations == [ASKED, ASKED]


async def test_progress_applied_after_the_answer_is_what_the_next_lesson_uses(host: ActorHost, clock: Clock) -> None:
    await host.actor(LEARNER).generate_lesson({})
    await host.actor(LEARNER).apply_progress(
        [
            {
                "event_id": "p1",
                "data": {
                    "learner_id": LEARNER,
                    "source_event_id": "source-p1",
                    "activity": "exercise",
                    "topic": "variables",
                    "score": 40,
                    "completed_at": "2026-11-20T10:00:00Z",
                    "events_recorded": 1,
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
        ]
    )
    answer = await host.actor(LEARNER).generate_lesson({})

    assert host.publisher.invocations == [ASKED]
    assert "no progress recorded yet" not in answer["lesson"]["rationale"]
