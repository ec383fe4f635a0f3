"""Per-item results of a learning event: accepted with the event, stored in the learner's log,
published with ``progress.updated``, and part of the event's idempotency fingerprint.

The real ``LearnerProgressActor`` runs on the Dapr SDK's state manager; the sidecar's actor API and
the publisher are in-memory stand-ins (``learnflow_common.dapr.testing``).
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.testing import AppAuth
from learnflow_common.dapr.testing import ActorHost
from user_progress.adapters.actor_interface import LogPage, Recorded
from user_progress.adapters.actors import LearnerProgressActor
from user_progress.api.models import ProgressUpdate
from user_progress.domain.events import ItemResult
from user_progress.settings import Settings

LEARNER = "ada"
PROGRESS = "learnflow.progress.updated.v1"
ITEMS = [
    {"item_id": "variables-assign-1", "correct": True, "attempts": 1, "hints_used": 0},
    {"item_id": "variables-swap-2", "correct": False, "attempts": 3, "hints_used": 2},
]


@pytest.fixture
def host(app_auth: AppAuth) -> ActorHost:
    return ActorHost(LearnerProgressActor, app_auth.settings(Settings, "user-progress"))


def _body(event_id: str, items: list[dict[str, Any]] | None) -> dict[str, Any]:
    body = {
        "event_id": event_id,
        "learner_id": LEARNER,
        "activity": "quiz",
        "topic": "variables",
        "score": 50,
        "completed_at": (datetime.now(UTC) - timedelta(minutes=5)).isoformat(),
    }
    return body if items is None else {**body, "items": items}


async def _record(host: ActorHost, body: dict[str, Any]) -> Recorded:
    event = ProgressUpdate.model_validate(body).to_event()
    return Recorded.model_validate(await host.actor(LEARNER).record_event(event.to_dict()))


def _published(host: ActorHost) -> list[dict[str, Any]]:
    return [event.data for _, event, _ in host.publisher.published if event.type == PROGRESS]


def test_the_request_hands_its_items_to_the_event_in_order_and_immutable() -> None:
    event = ProgressUpdate.model_validate(_body("e1", ITEMS)).to_event()

    assert event.items == (
        ItemResult("variables-assign-1", correct=True, attempts=1, hints_used=0),
        ItemResult("variables-swap-2", correct=False, attempts=3, hints_used=2),
    )


def test_attempts_and_hints_default_to_one_try_without_hints() -> None:
    event = ProgressUpdate.model_validate(_body("e1", [{"item_id": "q1", "correct": True}])).to_event()

    assert event.items == (ItemResult("q1", correct=True, attempts=1, hints_used=0),)


@pytest.mark.parametrize("items", [None, []])
def test_a_request_without_items_makes_the_event_it_made_before(items: list[dict[str, Any]] | None) -> None:
    event = ProgressUpdate.model_validate(_body("e1", items)).to_event()

    assert event.items == ()
    assert "items" not in event.to_dict()


async def test_items_are_published_with_progress_updated_and_kept_in_the_log(host: ActorHost) -> None:
    body = _body("e1", ITEMS)

    assert (await _record(host, body)).outcome == "recorded"

    assert [data["items"] for data in _published(host)] == [ITEMS]
    page = LogPage.model_validate(await host.actor(LEARNER).read_log({"cursor": None}))
    assert [event.items for event in page.events] == [ProgressUpdate.model_validate(body).to_event().items]


async def test_an_event_without_items_is_published_without_an_items_key(host: ActorHost) -> None:
    await _record(host, _body("e1", None))

    assert ["items" in data for data in _published(host)] == [False]


async def test_the_same_event_id_with_other_items_is_a_conflict_and_with_the_same_a_duplicate(
    host: ActorHost,
) -> None:
    body = _body("e1", ITEMS)
    await _record(host, body)

    assert (await _record(host, body)).outcome == "duplicate"
    assert (await _record(host, {**body, "items": ITEMS[:1]})).outcome == "conflict"
    assert (await _record(host, {**body, "items": None})).outcome == "conflict"
