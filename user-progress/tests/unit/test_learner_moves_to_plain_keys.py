"""A learner an earlier release kept in the learner actor's own state moves to plain keys on its first
call, whole; and ``GET /status`` reads a moved learner's snapshot without calling the actor.

The real ``LearnerProgressActor`` runs on the Dapr SDK's state manager over the in-memory stand-ins of
``learnflow_common.dapr.testing``. What the stack does with rows an earlier release wrote is proven in
``tests/integration/test_storage.py``.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from devstack.testing import AppAuth
from learnflow_common.dapr.actor_state import ActorState, SdkActorState
from learnflow_common.dapr.actors import OUTBOX_KEY
from learnflow_common.dapr.testing import ActorHost, MemoryPublisher
from learnflow_common.memory import MemoryStore, run_in_memory
from user_progress import ledger
from user_progress.adapters.actors import MOVED_MARKER, LearnerProgressActor
from user_progress.adapters.learner_keys import learner_snapshot
from user_progress.domain.events import LearningEvent
from user_progress.settings import Settings

LEARNER = "ada"
START = datetime(2026, 9, 1, 8, tzinfo=UTC)


class EarlierReleaseActor(LearnerProgressActor):
    """The learner actor as the release before kept it: every value in its own actor state."""

    _on_plain_keys = True

    def make_state(self) -> ActorState:
        return SdkActorState(self._state_manager, self.settings.actor_cached_values)


def _event(number: int, **fields: Any) -> dict[str, Any]:
    return {
        "event_id": f"e{number}",
        "learner_id": LEARNER,
        "activity": ("lesson", "exercise", "quiz", "review")[number % 4],
        "topic": ("variables", "loops")[number % 2],
        "score": None if number % 4 == 0 else 50 + number % 50,
        "completed_at": (START + timedelta(hours=7 * number)).isoformat(),
        **fields,
    }


def _lesson(lesson_id: str, number: int) -> dict[str, Any]:
    created = (START + timedelta(hours=7 * number + 1)).isoformat()
    return {
        "event_id": f"lesson-{lesson_id}",
        "data": {"lesson_id": lesson_id, "topic": "loops", "created_at": created},
    }


async def _history(host: ActorHost, events: int) -> None:
    """Events over two months, a late one, and lessons: logs, days, lessons and an outbox to move."""
    actor = host.actor(LEARNER)
    for number in range(events):
        await actor.record_event(_event(number))
        if number % 25 == 0:
            await actor.assign_lesson([_lesson(f"l{number}", number)])
    await actor.record_event(_event(events, completed_at=(START + timedelta(hours=7 * events - 30)).isoformat()))


def _without_times(state: dict[str, Any]) -> dict[str, Any]:
    """The values, the outbox's events by id only (a CloudEvent's ``time`` is when it was made)."""
    outbox = f"learner~{LEARNER}~{OUTBOX_KEY}"
    return {**state, outbox: [entry["event"]["id"] for entry in state.get(outbox, [])]}


@pytest.fixture
def settings_for(app_auth: AppAuth) -> Settings:
    return app_auth.settings(Settings, "user-progress")


async def test_a_learner_kept_in_actor_state_moves_whole_and_then_records_as_one_always_on_plain_keys(
    settings_for: Settings,
) -> None:
    earlier, always = ActorHost(EarlierReleaseActor, settings_for), ActorHost(LearnerProgressActor, settings_for)
    await _history(earlier, 200)
    await _history(always, 200)
    moved = ActorHost(LearnerProgressActor, settings_for)
    moved.store.values = dict(earlier.store.values)  # the rows the earlier release left

    duplicate = await moved.actor(LEARNER).record_event(_event(3))
    conflict = await moved.actor(LEARNER).record_event(_event(3, score=1))
    recorded = await moved.actor(LEARNER).record_event(_event(201))
    await always.actor(LEARNER).record_event(_event(201))

    assert (duplicate["outcome"], conflict["outcome"], recorded["outcome"]) == ("duplicate", "conflict", "recorded")
    actor_state = {name for (owner, name) in moved.store.values if owner == LEARNER}
    assert actor_state == {ledger.SNAPSHOT_KEY}
    assert moved.store.stored(LEARNER)[ledger.SNAPSHOT_KEY] != MOVED_MARKER  # the plain key's, listed after
    assert _without_times(moved.publisher.state) == _without_times(always.publisher.state)


async def test_a_moved_learner_is_not_moved_again_and_a_new_learner_moves_nothing(settings_for: Settings) -> None:
    earlier = ActorHost(EarlierReleaseActor, settings_for)
    await _history(earlier, 30)
    moved = ActorHost(LearnerProgressActor, settings_for)
    moved.store.values = dict(earlier.store.values)
    await moved.actor(LEARNER).get_snapshot()
    moved.restart()
    transactions = moved.store.transactions

    await moved.actor(LEARNER).get_snapshot()
    await moved.actor("newcomer").get_snapshot()

    assert moved.store.transactions == transactions


async def test_status_reads_a_moved_learners_snapshot_without_calling_the_actor(settings_for: Settings) -> None:
    host = ActorHost(LearnerProgressActor, settings_for)
    await _history(host, 10)
    sidecar = MemoryPublisher()
    sidecar.state = host.publisher.state  # the same rows; this stand-in cannot invoke actors at all

    snapshot = await learner_snapshot(sidecar, settings_for.state_store, LEARNER)  # type: ignore[arg-type]

    assert snapshot is not None
    assert snapshot.to_dict() == host.store.stored(LEARNER)[ledger.SNAPSHOT_KEY]
    assert not hasattr(sidecar, "invoke_actor")


def _recorded(events: list[LearningEvent]) -> MemoryStore:
    store = MemoryStore()
    for event in events:
        store.apply(run_in_memory(ledger.record(store, event.learner_id, event)).changes)
    for number, event in enumerate(events[::40]):
        lesson = run_in_memory(ledger.assign_lesson(store, LEARNER, f"l{number}", "loops", event.completed_at))
        store.apply(lesson[1])
    return store


@settings(max_examples=25, deadline=None)
@given(st.lists(st.integers(0, 24 * 90), min_size=1, max_size=120, unique=True))
def test_relocation_writes_every_value_as_stored_with_the_snapshot_in_the_last_batch(hours: list[int]) -> None:
    events = [
        LearningEvent.from_dict({**_event(number), "completed_at": (START + timedelta(hours=at)).isoformat()})
        for number, at in enumerate(hours)
    ]
    store = _recorded(events)

    batches = run_in_memory(ledger.relocation(store))

    written = {key: value for batch in batches for key, value in batch.items()}
    assert written == store.values
    assert [ledger.SNAPSHOT_KEY in batch for batch in batches] == [False] * (len(batches) - 1) + [True]
    assert all(len(batch) <= ledger.RELOCATION_BATCH_KEYS for batch in batches)


def test_a_first_release_learner_relocates_as_its_one_value_and_an_unknown_one_as_nothing() -> None:
    legacy = {"learner_id": LEARNER, "events": {}}

    assert run_in_memory(ledger.relocation(MemoryStore({ledger.LEGACY_RECORD_KEY: legacy}))) == [
        {ledger.LEGACY_RECORD_KEY: legacy}
    ]
    assert run_in_memory(ledger.relocation(MemoryStore())) == []


def test_the_marker_left_in_actor_state_fails_the_earlier_releases_read_rather_than_start_the_learner_anew() -> None:
    """``ledger.conversion`` is what the release before ran first on every call (it is unchanged)."""
    with pytest.raises(KeyError):
        run_in_memory(ledger.conversion(MemoryStore({ledger.SNAPSHOT_KEY: MOVED_MARKER})))
