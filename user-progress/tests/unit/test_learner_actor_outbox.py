"""The learner actor's outbox and its saves, with a fault injected at each point in between.

The real ``LearnerProgressActor`` runs on the Dapr SDK's state manager and serializers; the sidecar's
actor API and the publishing client are in-memory stand-ins (``learnflow_common.dapr.testing``).
What the stack itself does for the same faults is proven in ``tests/integration/test_outages.py``.
"""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from dapr.actor import ActorId, ActorMethodNotFoundError
from dapr.actor.runtime.manager import ActorManager

from devstack.testing import AppAuth
from learnflow_common.dapr import actors as outbox
from learnflow_common.dapr.actors import (
    OUTBOX_KEY,
    OUTBOX_QUIET_SECONDS,
    OUTBOX_REMINDER,
    OUTBOX_RETRY_DUE,
    UNDELIVERABLE_KEY,
)
from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.testing import ActorHost, MemoryPublisher, ProcessDied
from learnflow_common.dapr.turns import keep_turns
from learnflow_common.events import CloudEvent
from user_progress.adapters.actor_interface import Recorded
from user_progress.adapters.actors import LearnerProgressActor, RecentFoldHolders
from user_progress.ledger import Snapshot
from user_progress.settings import Settings
from user_progress.views import status_of

LEARNER = "ada"
PROGRESS = "learnflow.progress.updated.v1"


class Clock:
    """The outbox's clock, moved by the test."""

    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@pytest.fixture
def clock(monkeypatch: pytest.MonkeyPatch) -> Clock:
    moved = Clock()
    monkeypatch.setattr(outbox, "outbox_clock", moved)
    return moved


@pytest.fixture
def host(app_auth: AppAuth, clock: Clock) -> ActorHost:
    settings = app_auth.settings(Settings, "user-progress")
    return ActorHost(LearnerProgressActor, settings)


def _event(event_id: str, minutes_ago: int = 5) -> dict[str, Any]:
    return {
        "event_id": event_id,
        "learner_id": LEARNER,
        "activity": "quiz",
        "topic": "variables",
        "score": 90,
        "completed_at": (datetime.now(UTC) - timedelta(minutes=minutes_ago)).isoformat(),
    }


async def _record(host: ActorHost, event_id: str, minutes_ago: int = 5) -> Recorded:
    return Recorded.model_validate(await host.actor(LEARNER).record_event(_event(event_id, minutes_ago)))


async def _fire_reminder(host: ActorHost) -> None:
    """What the Dapr runtime does when a registered reminder is due."""
    assert (LEARNER, OUTBOX_REMINDER) in host.store.reminders
    await host.actor(LEARNER).receive_reminder(OUTBOX_REMINDER, b"", timedelta(seconds=10), timedelta(seconds=30))


def _published_sources(host: ActorHost) -> list[str]:
    return [event.data["source_event_id"] for _, event, _ in host.publisher.published if event.type == PROGRESS]


async def test_events_staged_before_the_process_died_are_published_by_the_reminder_without_another_call(
    host: ActorHost,
) -> None:
    host.publisher.failures = [ProcessDied()]  # dies after the commit, before the first publish

    with pytest.raises(ProcessDied):
        await _record(host, "e1")
    host.restart()

    assert host.store.stored(LEARNER)[OUTBOX_KEY]  # committed with the change...
    await _fire_reminder(host)  # ...and the reminder registered before the commit publishes them
    assert _published_sources(host) == ["e1"]
    assert host.store.stored(LEARNER)[OUTBOX_KEY] == []


async def test_the_reminder_unregisters_itself_once_the_outbox_is_empty_and_the_learner_quiet(
    host: ActorHost, clock: Clock
) -> None:
    await _record(host, "e1")

    clock.advance(OUTBOX_QUIET_SECONDS - 1)
    await _fire_reminder(host)  # e1 was staged less than the quiet time ago: kept
    assert (LEARNER, OUTBOX_REMINDER) in host.store.reminders
    clock.advance(1)
    await _fire_reminder(host)  # nothing staged for the quiet time

    assert (LEARNER, OUTBOX_REMINDER) not in host.store.reminders
    assert "outbox-reminder" not in host.store.stored(LEARNER)
    assert host.store.stored(LEARNER)[OUTBOX_KEY] == []
    await _record(host, "e2", minutes_ago=4)
    assert (LEARNER, OUTBOX_REMINDER) in host.store.reminders  # the next write registers it again


async def test_a_learners_single_event_costs_one_firing_of_the_reminder(host: ActorHost, clock: Clock) -> None:
    """The first firing comes when the actor is already quiet: one scheduler round trip to fire, one
    to unregister, where a firing 10 s after the event had kept it for another period."""
    await _record(host, "e1")

    clock.advance(OUTBOX_RETRY_DUE.total_seconds())
    await _fire_reminder(host)

    assert (LEARNER, OUTBOX_REMINDER) not in host.store.reminders
    assert host.store.stored(LEARNER)[OUTBOX_KEY] == []
    assert _published_sources(host) == ["e1"]


async def test_an_active_learner_keeps_the_reminder_and_its_firings_commit_nothing(
    host: ActorHost, clock: Clock
) -> None:
    for number in range(3):
        await _record(host, f"e{number}", minutes_ago=10 - number)
        transactions = host.store.transactions
        clock.advance(OUTBOX_QUIET_SECONDS / 2)
        await _fire_reminder(host)
        assert host.store.transactions == transactions  # the emptied outbox rides on the next commit

    assert host.store.reminder_registrations == 1
    assert {entry["event"]["data"]["source_event_id"] for entry in host.store.stored(LEARNER)[OUTBOX_KEY]} == {"e2"}
    clock.advance(OUTBOX_QUIET_SECONDS)
    await _fire_reminder(host)  # quiet: the emptied outbox and the flag's removal in one transaction
    assert host.store.stored(LEARNER)[OUTBOX_KEY] == []
    assert (LEARNER, OUTBOX_REMINDER) not in host.store.reminders
    assert _published_sources(host) == ["e0", "e1", "e2"]  # each once


async def test_the_reminder_is_registered_once_while_it_is_registered_not_on_every_write(host: ActorHost) -> None:
    for number in range(5):
        await _record(host, f"e{number}", minutes_ago=10 - number)

    assert host.store.reminder_registrations == 1
    assert _published_sources(host) == [f"e{number}" for number in range(5)]


async def test_a_broker_outage_keeps_the_events_for_the_reminder_and_the_update_succeeds(
    host: ActorHost, clock: Clock
) -> None:
    host.publisher.failures = [SidecarUnavailable("ERR_PUBSUB_PUBLISH_MESSAGE: broker down", "pubsub")]

    answer = await _record(host, "e1")

    assert answer.outcome == "recorded"
    assert len(host.store.stored(LEARNER)[OUTBOX_KEY]) == 3  # progress, achievement, streak
    await _fire_reminder(host)
    assert _published_sources(host) == ["e1"]
    clock.advance(OUTBOX_QUIET_SECONDS)
    await _fire_reminder(host)
    assert (LEARNER, OUTBOX_REMINDER) not in host.store.reminders


async def test_a_refused_publish_answers_the_committed_update_as_recorded_and_no_later_call_fails(
    host: ActorHost,
) -> None:
    host.publisher.failures = [RuntimeError("sidecar answered 403 ERR_PUBSUB_FORBIDDEN: topic not allowed")]

    first = await _record(host, "e1")
    snapshot = await host.actor(LEARNER).get_snapshot()
    second = await _record(host, "e2", minutes_ago=4)

    assert first.outcome == "recorded"
    assert snapshot is not None
    assert status_of(Snapshot.from_dict(snapshot), datetime.now(UTC)).events_recorded == 1
    assert second.outcome == "recorded"
    stored = host.store.stored(LEARNER)
    assert [entry["event"]["data"].get("source_event_id") for entry in stored[OUTBOX_KEY]][:1] == ["e2"]
    refused = stored[UNDELIVERABLE_KEY]
    assert [entry["event"]["type"] for entry in refused] == [PROGRESS]
    assert "403" in refused[0]["error"]
    assert _published_sources(host) == ["e2"]  # the events after the refused one went out


async def test_after_a_transport_error_during_the_save_the_clients_retry_is_recorded_not_a_duplicate(
    host: ActorHost,
) -> None:
    host.store.fail_saves = ["transport"]

    with pytest.raises(ConnectionResetError):
        await _record(host, "e1")
    retried = await _record(host, "e1")

    assert retried.outcome == "recorded"
    assert retried.snapshot is not None
    assert status_of(retried.snapshot, datetime.now(UTC)).events_recorded == 1
    assert "snapshot" in host.store.stored(LEARNER)
    assert _published_sources(host) == ["e1"]


async def test_an_update_costs_one_transaction_and_its_emptied_outbox_rides_on_the_next_commit(
    host: ActorHost, clock: Clock
) -> None:
    await _record(host, "e1")
    after_first = host.store.transactions

    await _record(host, "e2", minutes_ago=4)

    assert host.store.transactions - after_first == 1  # no second transaction to empty the outbox
    staged = [entry["event"]["data"].get("source_event_id") for entry in host.store.stored(LEARNER)[OUTBOX_KEY]]
    assert set(staged) == {"e2"}  # e1's events, published, were removed by e2's commit
    clock.advance(OUTBOX_QUIET_SECONDS)
    await _fire_reminder(host)
    assert host.store.stored(LEARNER)[OUTBOX_KEY] == []
    assert _published_sources(host) == ["e1", "e2"]  # nothing published twice while the actor lives


async def test_an_update_asks_the_sidecar_only_for_the_new_event_id_once(host: ActorHost) -> None:
    """The SDK's ``set_state`` would ask whether the new ``id-`` key exists before staging it: a
    second round trip per update for the same key (benchmarks/results/PROFILE.md)."""
    await _record(host, "e1", minutes_ago=10)
    await _fire_reminder(host)
    host.store.reads.clear()

    await _record(host, "e2", minutes_ago=9)

    assert len(host.store.reads) == 1
    assert host.store.reads[0].startswith("id-")


async def test_a_returning_learners_first_update_of_an_activation_reads_in_one_exchange(host: ActorHost) -> None:
    """A learner back after their actor went idle, on a new day: the snapshot, the event's id and
    day, the month's index of days, the checkpoint (the horizon moves) and the outbox's keys are read
    ahead together, not one after another."""
    await _record(host, "e1", minutes_ago=3 * 24 * 60)
    host.restart()
    host.store.reads.clear()
    host.store.exchanges = 0

    answer = await _record(host, "e2")

    assert answer.outcome == "recorded"
    assert host.store.exchanges == 1
    assert {"snapshot", "checkpoint", "outbox", "outbox-reminder"} <= set(host.store.reads)


async def test_a_new_learners_first_update_reads_its_plain_keys_in_one_exchange(host: ActorHost) -> None:
    """One exchange for every plain key it reads; the other three are the actor state an earlier
    release kept learners in, looked at one key at a time (the SDK's actor state API has no bulk
    read) before a learner with nothing on plain keys is taken for a new one."""
    answer = await _record(host, "e1")

    assert answer.outcome == "recorded"
    assert host.store.exchanges == 4


async def test_published_events_still_stored_when_the_process_dies_go_out_again_never_lost(
    host: ActorHost,
) -> None:
    await _record(host, "e1")
    host.restart()  # before any commit removed e1's published events from the stored outbox

    await _fire_reminder(host)

    assert _published_sources(host) == ["e1", "e1"]  # at least once: consumers dedupe on the id
    assert host.store.stored(LEARNER)[OUTBOX_KEY] == []


class _GatedPublisher(MemoryPublisher):
    """Publishes only once ``gate`` is open, like a slow broker."""

    def __init__(self) -> None:
        super().__init__()
        self.gate = asyncio.Event()

    async def publish(self, pubsub: str, topic: str, event: CloudEvent, partition_key: str) -> None:
        await self.gate.wait()
        await super().publish(pubsub, topic, event, partition_key)


@pytest.mark.parametrize("method", ["RecordEventForStatus", "RecordEvent"])
async def test_through_the_runtime_an_update_answers_before_its_events_are_published_and_the_next_waits(
    host: ActorHost, app_auth: AppAuth, method: str
) -> None:
    """The SDK's dispatch (as daprd's calls arrive) with the app's turns: the publish leaves the
    caller's latency, yet events go out in order and the next call reads what the publish left.
    Through RecordEventForStatus (this release's API) and RecordEvent (the release before's)."""
    keep_turns()
    publisher = _GatedPublisher()
    LearnerProgressActor.bind(publisher, app_auth.settings(Settings, "user-progress"))  # type: ignore[arg-type]
    manager = ActorManager(host._context)

    def record(event_id: str, minutes_ago: int) -> Any:
        body = json.dumps(_event(event_id, minutes_ago)).encode()
        return manager.dispatch(ActorId(LEARNER), method, body)

    answered = json.loads(await asyncio.wait_for(record("e1", 5), timeout=5))
    assert answered["outcome"] == "recorded"
    assert publisher.published == []  # answered while the broker still holds its events
    following = asyncio.create_task(record("e2", 4))
    await asyncio.sleep(0.05)
    assert not following.done()  # the next call on the learner waits for the publish
    publisher.gate.set()
    await asyncio.wait_for(following, timeout=5)
    for _ in range(100):  # the second update's own publish, after its answer
        if len(publisher.published) >= 2 and host.store.stored(LEARNER).get(OUTBOX_KEY) is not None:
            break
        await asyncio.sleep(0.01)

    sources = [event.data["source_event_id"] for _, event, _ in publisher.published if event.type == PROGRESS]
    assert sources == ["e1", "e2"]


async def test_a_method_the_actor_type_does_not_have_is_refused_before_the_actor_is_activated(
    host: ActorHost, app_auth: AppAuth
) -> None:
    """What makes falling back to RecordEvent safe when a host of the release before refuses
    RecordEventForStatus: the SDK refuses an unknown method before it activates or calls the actor."""
    keep_turns()
    LearnerProgressActor.bind(MemoryPublisher(), app_auth.settings(Settings, "user-progress"))  # type: ignore[arg-type]
    manager = ActorManager(host._context)
    body = json.dumps(_event("e1", 5)).encode()

    with pytest.raises(ActorMethodNotFoundError):
        await manager.dispatch(ActorId(LEARNER), "RecordEventOfALaterRelease", body)

    assert manager._active_actors == {}
    assert host.store.reads == []
    assert host.store.stored(LEARNER) == {}


def _at(event_id: str, learner: str, completed_at: datetime) -> dict[str, Any]:
    return {**_event(event_id), "learner_id": learner, "completed_at": completed_at.isoformat()}


async def _racing(host: ActorHost, learner: str) -> datetime:
    """Three events of one learner a minute apart from yesterday noon, the second arriving last (a
    late event); the instant of the first."""
    noon = datetime.now(UTC).replace(hour=12, minute=0, second=0, microsecond=0) - timedelta(days=1)
    for event_id, minutes in (("r1", 0), ("r3", 2), ("r2", 1)):
        await host.actor(learner).record_event(_at(event_id, learner, noon + timedelta(minutes=minutes)))
    return noon


async def test_the_actor_keeps_the_recent_folds_of_a_committed_recording_and_forgets_them_when_a_commit_fails(
    host: ActorHost,
) -> None:
    noon = await _racing(host, LEARNER)
    actor = host.actor(LEARNER)
    assert actor.recent_folds is not None
    assert actor.recent_folds.folds[-1] == Snapshot.from_dict(await actor.get_snapshot()).fold
    host.store.fail_saves = ["transport"]

    with pytest.raises(ConnectionResetError):
        await actor.record_event(_at("r4", LEARNER, noon + timedelta(minutes=3)))

    assert actor.recent_folds is None
    retried = Recorded.model_validate(await actor.record_event(_at("r4", LEARNER, noon + timedelta(minutes=3))))
    assert retried.outcome == "recorded"
    assert actor.recent_folds is None  # until the learner's next late event
    await actor.record_event(_at("r5", LEARNER, noon + timedelta(minutes=2, seconds=30)))
    assert actor.recent_folds is not None
    assert actor.recent_folds.folds[-1] == Snapshot.from_dict(await actor.get_snapshot()).fold


async def test_a_deactivated_actor_lets_go_of_its_cached_values_and_recent_folds(host: ActorHost) -> None:
    """An actor is in a reference cycle (the SDK's state manager points back at it): what it holds
    must not wait for a full collection of the garbage collector (learnflow_common.collector)."""
    await _racing(host, LEARNER)
    actor = host.actor(LEARNER)
    assert actor.recent_folds is not None
    assert actor._values is not None

    await actor._on_deactivate_internal()

    assert actor.recent_folds is None
    assert actor._values is None
    assert LEARNER not in LearnerProgressActor.holders._actors


async def test_at_most_a_set_number_of_learners_hold_recent_folds_at_once(
    host: ActorHost, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(LearnerProgressActor, "holders", RecentFoldHolders(capacity=1))

    await _racing(host, "ada")
    await _racing(host, "bob")

    assert host.actor("ada").recent_folds is None
    assert host.actor("bob").recent_folds is not None
