"""Every actor type of every service is wired the way the Dapr SDK needs it."""

from __future__ import annotations

import importlib
import pkgutil
from pathlib import Path

import pytest
import yaml
from dapr.actor.runtime._type_information import ActorTypeInformation

from learnflow_common.dapr.actors import SidecarActor

REPO = Path(__file__).resolve().parents[2]
#: The package of every app of dapr.yaml (`python3 -m <package>`), a generated service's too.
PACKAGES = [app["command"][-1] for app in yaml.safe_load((REPO / "dapr.yaml").read_text())["apps"]]


def actor_types() -> list[type[SidecarActor]]:
    """The SidecarActor classes defined in each service's ``adapters`` package."""
    found = []
    for package in PACKAGES:
        adapters = importlib.import_module(f"{package}.adapters")
        for module_info in pkgutil.iter_modules(adapters.__path__, f"{package}.adapters."):
            module = importlib.import_module(module_info.name)
            found += [
                value
                for value in vars(module).values()
                if isinstance(value, type) and issubclass(value, SidecarActor) and value.__module__ == module.__name__
            ]
    return found


def test_the_known_actor_types_are_found() -> None:
    names = {actor.__name__ for actor in actor_types()}

    assert {
        "LearnerProgressActor",
        "LeaderboardActor",
        "LearnerPlanActor",
        "LessonFeedActor",
        "LessonFeedCatalogActor",
    } <= names


@pytest.mark.parametrize("actor", actor_types(), ids=lambda actor: actor.__name__)
def test_every_actor_receives_reminders_so_its_outbox_is_retried(actor: type[SidecarActor]) -> None:
    assert ActorTypeInformation.create(actor).is_remindable()
