"""Every actor type of both services is wired the way the Dapr SDK needs it."""

from __future__ import annotations

import importlib

import pytest
from dapr.actor.runtime._type_information import ActorTypeInformation


@pytest.mark.parametrize(
    "actor_type",
    [
        "user_progress.adapters.actors:LearnerProgressActor",
        "user_progress.adapters.leaderboard:LeaderboardActor",
        "course_agent.adapters.actors:LearnerPlanActor",
        "course_agent.adapters.feed:LessonFeedActor",
        "course_agent.adapters.feed:LessonFeedCatalogActor",
    ],
)
def test_every_actor_receives_reminders_so_its_outbox_is_retried(actor_type: str) -> None:
    module, name = actor_type.split(":")
    actor = getattr(importlib.import_module(module), name)

    assert ActorTypeInformation.create(actor).is_remindable()
