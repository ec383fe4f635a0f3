"""The stored layout: exactly the replayed answers, bounded values, late events, idempotency, migration."""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any
from unittest import mock
from zoneinfo import ZoneInfo

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.memory import MemoryStore, run_in_memory
from user_progress import ledger
from user_progress.domain import fold as fold_module
from user_progress.domain.events import ItemResult, LearningEvent
from user_progress.domain.fold import Folded, LearnerFold, fold_event, fold_events
from user_progress.domain.learner import LearnerRecord, record_event, replay

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)
MAX_VALUE_BYTES = 256 * 1024


class DictStore(MemoryStore):
    """The actor's state in memory, with shortcuts to record an event and read the learner back."""

    def record(self, event: LearningEvent) -> ledger.Recording:
        result = run_in_memory(ledger.record(self, event.learner_id, event))
        self.apply(result.changes)
        return result

    def snapshot(self) -> ledger.Snapshot:
        snapshot = run_in_memory(ledger.load_snapshot(self))
        assert snapshot is not None
        return snapshot

    def log(self) -> list[LearningEvent]:
        async def collect() -> list[LearningEvent]:
            return [event async for event in ledger.read_log(self, self.snapshot())]

        return run_in_memory(collect())


def _event(number: int, at: datetime, **fields: Any) -> LearningEvent:
    activity = fields.pop("activity", ("lesson", "exercise", "quiz", "review")[number % 4])
    return LearningEvent(
        event_id=f"e{number:05d}",
        learner_id="ada",
        activity=activity,
        topic=fields.pop("topic", ("variables", "loops", "functions")[number % 3]),
        completed_at=at,
        score=fields.pop("score", None if activity == "lesson" else 40 + number % 61),
        **fields,
    )


@st.composite
def arrivals(draw: st.DrawFn) -> list[LearningEvent]:
    """Events over ~50 days arriving out of order by up to a few weeks, some redelivered."""
    size = draw(st.integers(1, 40))
    events = [
        _event(
            i,
            T0 + timedelta(hours=draw(st.integers(0, 50 * 24))),
            timezone=draw(st.sampled_from([None, "Europe/Berlin", "America/New_York", "Pacific/Kiritimati"])),
            hints_used=draw(st.one_of(st.none(), st.integers(0, 3))),
        )
        for i in range(size)
    ]
    ordered = sorted(events, key=lambda event: event.sort_key)
    # arrival: time order, each event held back by up to 25 days of later events
    delays = [draw(st.integers(0, 25 * 24)) for _ in ordered]
    arrival = sorted(range(len(ordered)), key=lambda i: ordered[i].completed_at + timedelta(hours=delays[i]))
    redelivered = draw(st.lists(st.sampled_from(range(len(ordered))), max_size=5))
    return [ordered[i] for i in arrival + redelivered]


@settings(max_examples=60, deadline=None)
@given(events=arrivals())
def test_late_and_redelivered_events_give_the_replayed_state(events: list[LearningEvent]) -> None:
    store = DictStore()
    outcomes = [store.record(event).outcome for event in events]

    accepted = {event.event_id: event for event, outcome in zip(events, outcomes, strict=True) if outcome == "recorded"}
    assert set(outcomes) <= {"recorded", "duplicate"}
    assert store.snapshot().fold.state() == replay("ada", accepted.values())
    assert [event.event_id for event in store.log()] == sorted(accepted, key=lambda i: accepted[i].sort_key)


#: Offsets events and bounds are written in: the log's days are UTC days whatever the offset.
OFFSETS = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30)), timezone(timedelta(hours=13))]


@st.composite
def bounds(draw: st.DrawFn, events: list[LearningEvent]) -> datetime | None:
    """None; an event's own instant (the edge); or a UTC midnight (the horizon's case) or any hour or
    half hour of the events' range - each written in one of OFFSETS."""
    kind = draw(st.sampled_from(["none", "event", "midnight", "hour"]))
    if kind == "none":
        return None
    if kind == "event":
        instant = draw(st.sampled_from(events)).completed_at
    elif kind == "midnight":
        instant = T0.replace(hour=0) + timedelta(days=draw(st.integers(-1, 52)))
    else:
        instant = T0 + timedelta(hours=draw(st.integers(-48, 52 * 24)), minutes=draw(st.sampled_from([0, 30])))
    return instant.astimezone(draw(st.sampled_from(OFFSETS)))


@settings(max_examples=80, deadline=None)
@given(events=arrivals(), data=st.data())
def test_reading_the_log_between_two_instants_gives_the_whole_log_filtered(
    events: list[LearningEvent], data: st.DataObject
) -> None:
    """The reference is the whole log read and filtered; the bounded read skips days outside."""
    store = DictStore()
    for event in events:
        offset = data.draw(st.sampled_from(OFFSETS))
        store.record(replace(event, completed_at=event.completed_at.astimezone(offset)))
    start, end = data.draw(bounds(events)), data.draw(bounds(events))

    async def between() -> list[LearningEvent]:
        return [event async for event in ledger.read_log(store, store.snapshot(), since=start, until=end)]

    expected = [
        event
        for event in store.log()
        if (start is None or event.completed_at >= start) and (end is None or event.completed_at < end)
    ]
    assert run_in_memory(between()) == expected


@settings(max_examples=30, deadline=None)
@given(events=arrivals())
def test_achievements_are_announced_once_whatever_the_arrival_order(events: list[LearningEvent]) -> None:
    store = DictStore()
    announced = [a.id for event in events for a in store.record(event).newly_unlocked]

    assert len(announced) == len(set(announced))
    assert set(announced) == set(store.snapshot().announced)


@st.composite
def racing_arrivals(draw: st.DrawFn, late_by: int = 4) -> list[LearningEvent]:
    """One learner's concurrent requests: events minutes apart over about two days, each arriving up
    to ``late_by`` events late (over midnight too), some redelivered."""
    size = draw(st.integers(2, 40))
    minutes = sorted(draw(st.lists(st.integers(0, 2 * 24 * 60), min_size=size, max_size=size)))
    ordered = [
        _event(i, T0 + timedelta(hours=14, minutes=at), timezone=draw(st.sampled_from([None, "Asia/Tokyo"])))
        for i, at in enumerate(minutes)
    ]
    jitter = [draw(st.integers(0, late_by)) for _ in ordered]
    arrival = sorted(range(size), key=lambda i: i + jitter[i])
    redelivered = draw(st.lists(st.sampled_from(range(size)), max_size=3))
    return [ordered[i] for i in arrival + redelivered]


class ReferenceStore(DictStore):
    """Folds every late event again from the checkpoint: it forgets the day start before each event."""

    def record(self, event: LearningEvent) -> ledger.Recording:
        self.apply({ledger.DAY_START_KEY: None})
        return super().record(event)


@settings(max_examples=80, deadline=None)
@given(events=st.one_of(racing_arrivals(), arrivals()))
def test_a_late_event_folded_from_the_day_start_stores_what_the_checkpoint_refold_stores(
    events: list[LearningEvent],
) -> None:
    fast, reference = DictStore(), ReferenceStore()
    for event in events:
        assert fast.record(event).outcome == reference.record(event).outcome

    without_day_start = {key: value for key, value in fast.values.items() if key != ledger.DAY_START_KEY}
    assert without_day_start == {k: v for k, v in reference.values.items() if k != ledger.DAY_START_KEY}
    newest_day = ledger.day_start_of(fast.snapshot().fold.last_event.completed_at)
    logged_before = [event for event in fast.log() if event.completed_at < newest_day]
    assert fast.values[ledger.DAY_START_KEY] == {
        "from": newest_day.isoformat(),
        "fold": fold_events(LearnerFold("ada"), logged_before).fold.to_dict(),
    }


class CountingStore(DictStore):
    def __init__(self) -> None:
        super().__init__()
        self.log_reads: list[str] = []

    async def get(self, key: str) -> Any | None:
        if key.startswith("log-"):
            self.log_reads.append(key)
        return await super().get(key)


def test_a_late_event_on_the_newest_day_reads_only_that_day_of_the_log() -> None:
    store = CountingStore()
    for day in range(20):
        store.record(_event(day, T0 + timedelta(days=day)))
    store.record(_event(100, T0 + timedelta(days=20, hours=3)))
    store.log_reads.clear()

    assert store.record(_event(101, T0 + timedelta(days=20, hours=1))).outcome == "recorded"
    assert store.log_reads == ["log-2026-03-21"]
    assert store.snapshot().fold.state() == replay("ada", store.log())


def test_a_day_start_that_misses_an_event_is_not_used() -> None:
    """As after a release that did not keep it: a late event of the day before was recorded meanwhile."""
    store = DictStore()
    earlier, newest = _event(1, T0), _event(2, T0 + timedelta(days=1, hours=12))
    store.record(earlier)
    store.record(newest)
    stale = store.values[ledger.DAY_START_KEY]
    store.record(_event(3, T0 + timedelta(hours=5)))
    store.apply({ledger.DAY_START_KEY: stale})

    store.record(_event(4, T0 + timedelta(days=1, hours=2)))
    assert store.snapshot().fold.state() == replay("ada", store.log())
    assert len(store.log()) == 4


# ------------------------------------------------------------------------------------ recent folds
class CarryingStore(DictStore):
    """Records as the actor does: the recent folds each recording returns are handed to the next."""

    def __init__(self) -> None:
        super().__init__()
        self.recent: ledger.RecentFolds | None = None

    def record(self, event: LearningEvent) -> ledger.Recording:
        result = run_in_memory(ledger.record(self, event.learner_id, event, self.recent))
        self.apply(result.changes)
        self.recent = result.recent
        return result


@settings(max_examples=150, deadline=None)
@given(events=st.one_of(racing_arrivals(late_by=10), arrivals()), data=st.data())
def test_recording_with_recent_folds_carried_from_call_to_call_stores_and_answers_what_recording_without_them_does(
    events: list[LearningEvent], data: st.DataObject
) -> None:
    """Some commits fail, with nothing stored ("lost") or after storing (the connection lost during
    the save). The actor then forgets its recent folds (recording without them is the reference);
    here the next recording is handed stale ones instead: the lost recording's, or the ones from
    before a failed commit that did store."""
    failed = data.draw(
        st.dictionaries(st.integers(0, len(events) - 1), st.sampled_from(["lost", "stored"]), max_size=12)
    )
    carrying, reference = DictStore(), DictStore()
    recent: ledger.RecentFolds | None = None
    with mock.patch.object(ledger, "RECENT_FOLDS", data.draw(st.sampled_from([1, 3, ledger.RECENT_FOLDS]))):
        for number, event in enumerate(events):
            fast = run_in_memory(ledger.record(carrying, "ada", event, recent))
            slow = run_in_memory(ledger.record(reference, "ada", event))

            assert (fast.outcome, fast.before, fast.newly_unlocked) == (slow.outcome, slow.before, slow.newly_unlocked)
            assert fast.snapshot == slow.snapshot
            if failed.get(number) != "lost":
                carrying.apply(fast.changes)
                reference.apply(slow.changes)
            assert carrying.values == reference.values
            if failed.get(number) != "stored":
                recent = fast.recent


def _one_busy_day(store: DictStore, count: int) -> list[LearningEvent]:
    """``count`` events a minute apart on the learner's newest day (after a few quieter days), the
    second last delivered after the last: a late event, which starts the recent folds."""
    events = [_event(number, T0 + timedelta(days=number)) for number in range(3)]
    events += [_event(100 + number, T0 + timedelta(days=3, minutes=number)) for number in range(count)]
    for event in [*events[:-2], events[-1], events[-2]]:
        assert store.record(event).outcome == "recorded"
    return events


@pytest.fixture
def folds_counted(monkeypatch: pytest.MonkeyPatch) -> list[LearningEvent]:
    """The events ``fold_events`` folds (every re-fold goes through it), in order."""
    folded: list[LearningEvent] = []

    def counting(fold: LearnerFold, event: LearningEvent) -> Folded:
        folded.append(event)
        return fold_event(fold, event)

    monkeypatch.setattr(fold_module, "fold_event", counting)
    return folded


def test_a_late_event_three_positions_back_folds_from_the_recent_fold_before_it(
    folds_counted: list[LearningEvent],
) -> None:
    store, reference = CarryingStore(), DictStore()
    events = _one_busy_day(store, 100)
    _one_busy_day(reference, 100)
    late = _event(999, events[-3].completed_at - timedelta(seconds=1))
    folds_counted.clear()

    store.record(late)
    reference_folds = len(folds_counted)
    reference.record(late)

    assert folds_counted[:reference_folds] == [late, *events[-3:]]
    assert len(folds_counted) - reference_folds == 101  # the whole day again, from the day start
    assert store.values == reference.values
    assert store.recent is not None
    assert len(store.recent.folds) == ledger.RECENT_FOLDS
    assert store.recent.folds[-1] == store.snapshot().fold


def test_a_late_event_further_back_than_the_recent_folds_reach_folds_the_day_from_its_start(
    folds_counted: list[LearningEvent],
) -> None:
    store = CarryingStore()
    events = _one_busy_day(store, 100)
    late = _event(999, events[-ledger.RECENT_FOLDS - 1].completed_at - timedelta(seconds=1))
    folds_counted.clear()

    store.record(late)

    assert len(folds_counted) == 101
    assert store.snapshot().fold.state() == replay("ada", store.log())


def test_recent_folds_of_a_recording_never_committed_are_not_used(folds_counted: list[LearningEvent]) -> None:
    store = CarryingStore()
    events = _one_busy_day(store, 100)
    lost = run_in_memory(ledger.record(store, "ada", _event(998, events[-1].completed_at + timedelta(minutes=1))))
    store.recent = lost.recent  # its changes were never stored
    folds_counted.clear()

    store.record(_event(999, events[-2].completed_at - timedelta(seconds=1)))

    assert len(folds_counted) == 101
    assert store.snapshot().fold.state() == replay("ada", store.log())


def test_recent_folds_missing_an_event_a_failed_commit_stored_are_not_used(folds_counted: list[LearningEvent]) -> None:
    store = CarryingStore()
    events = _one_busy_day(store, 100)
    before_the_failure = store.recent
    store.record(_event(998, events[-3].completed_at + timedelta(seconds=1)))  # stored, but the actor saw it fail
    store.recent = before_the_failure
    folds_counted.clear()

    store.record(_event(999, events[-2].completed_at + timedelta(seconds=1)))

    assert len(folds_counted) == 102
    assert store.snapshot().fold.state() == replay("ada", store.log())


def test_events_in_time_order_append_to_the_recent_folds_and_start_them_over_on_a_new_utc_day() -> None:
    store = CarryingStore()
    events = _one_busy_day(store, 10)
    assert store.recent is not None
    assert len(store.recent.folds) == 10

    store.record(_event(200, events[-1].completed_at + timedelta(minutes=1)))
    assert len(store.recent.folds) == 11
    store.record(_event(201, events[-1].completed_at + timedelta(days=1)))

    assert store.recent.day == ledger.day_start_of(events[-1].completed_at + timedelta(days=1))
    assert store.recent.folds == (store.snapshot().fold,)


def test_a_learner_without_late_events_keeps_no_recent_folds() -> None:
    store = CarryingStore()
    for number in range(5):
        store.record(_event(number, T0 + timedelta(minutes=number)))

    assert store.recent is None


def test_an_event_older_than_the_horizon_is_too_late_but_its_redelivery_is_a_duplicate() -> None:
    store = DictStore()
    old = _event(1, T0)
    store.record(old)
    store.record(_event(2, T0 + timedelta(days=40)))

    assert store.record(_event(3, T0 + timedelta(days=5))).outcome == "too-late"
    assert store.record(old).outcome == "duplicate"
    assert store.snapshot().horizon == datetime(2026, 3, 11, tzinfo=UTC)


def test_an_event_just_inside_the_horizon_is_folded_exactly() -> None:
    store = DictStore()
    newest = _event(1, T0 + timedelta(days=30, hours=12))
    store.record(newest)
    late = _event(2, T0 + timedelta(minutes=1))

    assert store.record(late).outcome == "recorded"
    assert store.snapshot().fold.state() == replay("ada", [newest, late])


def test_the_same_event_id_with_another_body_is_a_conflict_even_on_another_day() -> None:
    store = DictStore()
    store.record(_event(1, T0))

    assert store.record(_event(1, T0 + timedelta(days=3))).outcome == "conflict"
    assert store.snapshot().fold.events == 1


def test_the_same_instant_written_with_another_offset_is_the_same_event() -> None:
    store = DictStore()
    store.record(_event(1, T0))

    again = _event(1, T0.astimezone(ZoneInfo("Europe/Paris")))

    assert store.record(again).outcome == "duplicate"


def _with_many_items(number: int, at: datetime) -> LearningEvent:
    """An event with the most item results a request may send, of the longest ids."""
    items = tuple(
        ItemResult(f"{n:02d}" + "i" * 126, correct=n % 2 == 0, attempts=1000, hints_used=1000) for n in range(50)
    )
    return _event(number, at, items=items)


def test_a_day_of_events_with_many_item_results_fills_by_size_and_stays_under_256_kb() -> None:
    store = DictStore()
    recorded = 0
    while (result := store.record(_with_many_items(recorded, T0 + timedelta(seconds=recorded)))).outcome == "recorded":
        recorded += 1

    assert result.outcome == "day-full"
    assert 10 < recorded < ledger.MAX_EVENTS_PER_DAY
    assert len(json.dumps(store.values[ledger.log_key(T0.date())])) < MAX_VALUE_BYTES
    assert store.record(_with_many_items(99_998, T0 + timedelta(days=1))).outcome == "recorded"


def test_log_pages_of_events_with_item_results_end_by_size_after_whole_days() -> None:
    store = DictStore()
    for number in range(60):
        store.record(_with_many_items(number, T0.replace(hour=0) + timedelta(hours=6 * number)))  # 4 events a day
    pages: list[list[LearningEvent]] = []
    cursor = None
    while True:
        events, cursor = run_in_memory(ledger.log_page(store, store.snapshot(), cursor, page_bytes=100_000))
        pages.append(events)
        if cursor is None:
            break

    assert [event for page in pages for event in page] == store.log()
    assert all(len(page) % 4 == 0 for page in pages[:-1])  # whole days
    assert max(sum(len(json.dumps(event.to_log())) for event in page) for page in pages) < 100_000 + 4 * 11_000


def test_a_day_holds_at_most_its_limit_of_events() -> None:
    store = DictStore()
    for number in range(ledger.MAX_EVENTS_PER_DAY):
        assert store.record(_event(number, T0 + timedelta(seconds=number))).outcome == "recorded"

    assert store.record(_event(99_999, T0 + timedelta(hours=1))).outcome == "day-full"
    assert store.record(_event(99_998, T0 + timedelta(days=1))).outcome == "recorded"


def test_a_learner_of_the_first_release_is_converted_with_the_same_answers() -> None:
    events = [_event(i, T0 + timedelta(hours=7 * i)) for i in range(300)]
    record: LearnerRecord | None = None
    for event in events:
        record = record_event(record, event).record
    assert record is not None
    legacy = {**record.to_dict(), "lessons_assigned": {"l1": {"topic": "loops", "assigned_at": T0.isoformat()}}}
    store = DictStore()
    for batch in run_in_memory(ledger.conversion(DictStore({ledger.LEGACY_RECORD_KEY: legacy}))):
        store.apply(batch)

    snapshot = store.snapshot()
    assert snapshot.fold.state() == replay("ada", events)
    assert snapshot.announced == record.announced
    assert snapshot.lessons_assigned == 1
    assert [event.event_id for event in store.log()] == [event.event_id for event in events]
    assert store.record(events[5]).outcome == "duplicate"
    assert store.record(_event(9999, T0 + timedelta(hours=7 * 300))).outcome == "recorded"
    assert ledger.LEGACY_RECORD_KEY not in store.values


def test_a_learner_folded_under_earlier_rules_is_folded_again_from_the_log() -> None:
    events = [_event(i, T0 + timedelta(hours=5 * i)) for i in range(400)]
    current = DictStore()
    for event in events:
        current.record(event)
    old = DictStore(current.values)
    derived = {key for key in old.values if key.startswith("days-")}
    snapshot = old.values[ledger.SNAPSHOT_KEY]
    snapshot["version"] = ledger.LAYOUT_VERSION - 1
    snapshot["fold"]["topics"] = {"loops": "folded by other rules"}
    snapshot["day_months"] = [*snapshot["day_months"], "1999-01"]
    old.apply({key: {"stale": True} for key in derived} | {"days-1999-01": {"stale": True}})
    old.apply({ledger.CHECKPOINT_KEY: {"stale": True}})

    for batch in run_in_memory(ledger.conversion(old)):
        old.apply(batch)

    assert old.values == current.values
    assert run_in_memory(ledger.conversion(old)) == []


def test_a_current_learner_needs_no_conversion() -> None:
    store = DictStore()
    store.record(_event(1, T0))

    assert run_in_memory(ledger.conversion(store)) == []
    assert run_in_memory(ledger.conversion(DictStore())) == []


@pytest.mark.parametrize("events_per_day", [20, 200])
def test_no_stored_value_passes_256_kb_for_a_learner_of_20000_events(events_per_day: int) -> None:
    store = DictStore()
    largest: dict[str, int] = {}
    for number in range(20_000):
        at = T0 + timedelta(minutes=(24 * 60 // events_per_day) * number)
        result = store.record(
            _event(
                number,
                at,
                timezone="America/New_York",
                lesson_id=f"lesson-{number:036d}",
                duration_seconds=300,
                hints_used=1,
            )
        )
        assert result.outcome == "recorded"
        for key, value in result.changes.items():
            kind = key.split("-")[0]
            largest[kind] = max(largest.get(kind, 0), len(json.dumps(value)))

    assert store.snapshot().fold.events == 20_000
    assert max(largest.values()) < MAX_VALUE_BYTES, largest
