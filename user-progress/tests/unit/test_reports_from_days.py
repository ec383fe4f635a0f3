"""History and statistics answered from the stored day records equal the reference computed from every event.

The service never reads a learner's whole log for ``GET /history`` or ``GET /statistics``: it reads
the closed days' rollups (with where the learner stood after each) that ``ledger.day_records`` returns,
and the snapshot. These properties hold ``reports.history_from_days`` and ``views.statistics_of`` to
``reports.daily_history`` and ``reports.statistics`` for random histories in several zones (DST,
half-hour shifts, fixed offsets, zones named late), and check that ``ledger.day_records`` over the
values the service stores returns exactly those records, also after late events were re-folded.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta, timezone
from typing import Any, get_args

from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.memory import MemoryStore, run_in_memory
from learnflow_common.vocabulary import GRADED_ACTIVITIES
from user_progress import ledger, views
from user_progress.domain.calendar import today_in
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import ClosedDay, Folded, LearnerFold, fold_events
from user_progress.domain.learner import replay
from user_progress.domain.reports import Period, daily_history, history_from_days, period_bounds, statistics

PERIODS: tuple[Period, ...] = get_args(Period)
#: spring: the US (March 8) and EU (March 29) spring-forward and Lord Howe's / Chatham's fall-back (April 5);
#: autumn: their spring-forward (September 27, October 4) and the EU (October 25) and US (November 1) fall-back.
STARTS = [datetime(2026, 3, 1, tzinfo=UTC), datetime(2026, 9, 20, tzinfo=UTC)]
ZONES = [
    None,
    "UTC",
    "Europe/Berlin",
    "America/New_York",
    "Australia/Lord_Howe",  # DST shifts by 30 minutes
    "Pacific/Chatham",  # +12:45 / +13:45
    "Asia/Kolkata",  # +05:30, no DST
    "Pacific/Kiritimati",  # +14
    "Pacific/Pago_Pago",  # -11
]
#: offsets the timestamps are written with: they decide the date of an event before any zone was named
OFFSETS = [
    timedelta(0),
    timedelta(hours=-7),
    timedelta(hours=5, minutes=30),
    timedelta(hours=13),
    timedelta(hours=-12),
    timedelta(hours=14),
]


# ------------------------------------------------------------------------------------ strategies
@st.composite
def events(
    draw: st.DrawFn, event_id: str, start: datetime, days: int, zones: list[str | None], offsets: list[timedelta]
) -> LearningEvent:
    activity = draw(st.sampled_from(["lesson", "exercise", "quiz", "review"]))
    at = start + timedelta(minutes=draw(st.integers(0, days * 24 * 60)))
    return LearningEvent(
        event_id=event_id,
        learner_id="ada",
        activity=activity,
        topic=draw(st.sampled_from(["variables", "loops", "strings"])),
        completed_at=at.astimezone(timezone(draw(st.sampled_from(offsets)))),
        score=draw(st.integers(0, 100) if activity in GRADED_ACTIVITIES else st.one_of(st.none(), st.integers(0, 100))),
        hints_used=draw(st.one_of(st.none(), st.integers(0, 4))),
        duration_seconds=draw(st.one_of(st.none(), st.integers(0, 600))),
        timezone=draw(st.sampled_from(zones)),
    )


@st.composite
def histories(draw: st.DrawFn, max_size: int = 50) -> tuple[datetime, int, list[LearningEvent]]:
    """(start, days, events): dense (streaks, freezes) or sparse (broken streaks), across month ends. A
    learner uses a few zones and offsets: often none named for a while, then one named far from the
    offsets, which re-dates the unnamed events after it (and a late one re-dates stored days)."""
    start = draw(st.sampled_from(STARTS))
    days = draw(st.integers(1, 75))
    zones = draw(st.lists(st.sampled_from(ZONES), min_size=1, max_size=3, unique=True))
    offsets = draw(st.lists(st.sampled_from(OFFSETS), min_size=1, max_size=3, unique=True))
    size = draw(st.integers(1, max_size))
    return start, days, [draw(events(f"e{i:03d}", start, days, zones, offsets)) for i in range(size)]


@st.composite
def windows(draw: st.DrawFn, start: datetime, days: int) -> tuple[date, date]:
    """A history window around the events: before, inside, after them, or empty (start after end)."""
    first = start.date() + timedelta(days=draw(st.integers(-5, days + 5)))
    return first, first + timedelta(days=draw(st.integers(-1, 45)))


# ------------------------------------------------------------------------------------ the records
def _all_records(folded: Folded) -> list[ClosedDay]:
    """Every active local day with where the learner stood after it: closed ones and the open ones."""
    return sorted([*folded.closed, *folded.fold.open_standings()], key=lambda record: record.rollup.date)


def _day_records(folded: Folded, start: date, end: date) -> list[ClosedDay]:
    """What ``ledger.day_records`` returns: the last active day before ``start``, then those in [start, end]."""
    records = _all_records(folded)
    before = [record for record in records if record.rollup.date < start]
    return before[-1:] + [record for record in records if start <= record.rollup.date <= end]


def _snapshot(fold: LearnerFold) -> ledger.Snapshot:
    assert fold.last_event is not None
    return ledger.Snapshot(fold=fold, horizon=ledger.horizon_for(fold.last_event.completed_at))


def _stored(folded: Folded) -> tuple[MemoryStore, ledger.Snapshot]:
    """The day values as the service writes them (``days-YYYY-MM``: date -> closed day) and the snapshot."""
    by_month: dict[str, dict[str, Any]] = {}
    for record in folded.closed:
        by_month.setdefault(ledger.month_of(record.rollup.date), {})[record.rollup.date.isoformat()] = record.to_dict()
    store = MemoryStore({ledger.days_key(month): days for month, days in by_month.items()})
    return store, replace(_snapshot(folded.fold), day_months=tuple(sorted(by_month)))


# ------------------------------------------------------------------------------------- properties
@settings(max_examples=200, deadline=None)
@given(data=st.data(), history=histories())
def test_history_from_the_day_records_equals_the_daily_history_of_the_events(
    data: st.DataObject, history: tuple[datetime, int, list[LearningEvent]]
) -> None:
    first, days, events = history
    start, end = data.draw(windows(first, days))
    folded = fold_events(LearnerFold("ada"), events)

    assert history_from_days(_day_records(folded, start, end), start, end) == daily_history(events, start, end)


@settings(max_examples=200, deadline=None)
@given(
    data=st.data(),
    history=histories(),
    period=st.sampled_from(PERIODS),
    minutes_after=st.integers(-3 * 24 * 60, 90 * 24 * 60),
)
def test_statistics_from_the_snapshot_and_day_records_equal_the_statistics_of_the_events(
    data: st.DataObject, history: tuple[datetime, int, list[LearningEvent]], period: Period, minutes_after: int
) -> None:
    first, _, events = history
    now = first + timedelta(minutes=minutes_after)
    folded = fold_events(LearnerFold("ada"), events)
    snapshot = _snapshot(folded.fold)
    # as GET /statistics does: today in the learner's zone, the day records of the period (none for "all")
    today = today_in(snapshot.fold.timezone, now)
    start, end = period_bounds(period, today)
    records = _day_records(folded, start, end) if start is not None else []

    answer = views.statistics_of(snapshot, records, period, today)

    assert answer == statistics(replay("ada", events), events, period, now)


@settings(max_examples=100, deadline=None)
@given(data=st.data(), history=histories())
def test_day_records_read_from_the_stored_day_values_are_the_active_days_around_the_window(
    data: st.DataObject, history: tuple[datetime, int, list[LearningEvent]]
) -> None:
    first, days, events = history
    start, end = data.draw(windows(first, days))
    folded = fold_events(LearnerFold("ada"), events)
    store, snapshot = _stored(folded)

    assert run_in_memory(ledger.day_records(store, snapshot, start, end)) == _day_records(folded, start, end)


@st.composite
def arrivals(draw: st.DrawFn) -> tuple[datetime, int, list[LearningEvent]]:
    """A history arriving out of time order (each event held back by up to 25 days), some redelivered."""
    first, days, history = draw(histories(max_size=30))
    ordered = sorted(history, key=lambda event: event.sort_key)
    delays = [timedelta(hours=draw(st.integers(0, 25 * 24))) for _ in ordered]
    arrival = sorted(range(len(ordered)), key=lambda i: ordered[i].completed_at + delays[i])
    redelivered = draw(st.lists(st.sampled_from(range(len(ordered))), max_size=3))
    return first, days, [ordered[i] for i in arrival + redelivered]


@settings(max_examples=60, deadline=None)
@given(data=st.data(), history=arrivals(), period=st.sampled_from(PERIODS))
def test_history_and_statistics_through_the_ledger_equal_the_reference_whatever_the_arrival_order(
    data: st.DataObject, history: tuple[datetime, int, list[LearningEvent]], period: Period
) -> None:
    first, days, arriving = history
    store = MemoryStore()
    accepted: dict[str, LearningEvent] = {}
    for event in arriving:
        recording = run_in_memory(ledger.record(store, "ada", event))
        store.apply(recording.changes)
        if recording.outcome == "recorded":
            accepted[event.event_id] = event
    events = list(accepted.values())
    snapshot = run_in_memory(ledger.load_snapshot(store))
    start, end = data.draw(windows(first, days))
    now = first + timedelta(minutes=data.draw(st.integers(0, (days + 3) * 24 * 60)))
    today = today_in(snapshot.fold.timezone, now)
    period_start, period_end = period_bounds(period, today)
    period_records = (
        run_in_memory(ledger.day_records(store, snapshot, period_start, period_end)) if period_start else []
    )

    history_answer = history_from_days(run_in_memory(ledger.day_records(store, snapshot, start, end)), start, end)
    statistics_answer = views.statistics_of(snapshot, period_records, period, today)

    assert history_answer == daily_history(events, start, end)
    assert statistics_answer == statistics(replay("ada", events), events, period, now)


def test_a_late_event_naming_a_zone_moves_stored_days_and_history_and_statistics_follow() -> None:
    # 20:00 at UTC-07:00 on June 2-7, no zone named: active June 2-7, and June 2 and 3 are closed and stored.
    unnamed = [
        LearningEvent(
            event_id=f"u{day}",
            learner_id="ada",
            activity="quiz",
            topic="loops",
            completed_at=datetime.fromisoformat(f"2026-06-0{day}T20:00:00-07:00"),
            score=90,
        )
        for day in range(2, 8)
    ]
    # Then a late event on June 1 names Kiritimati (UTC+14): each of those is 17:00 on the next day there.
    late = LearningEvent(
        event_id="named",
        learner_id="ada",
        activity="lesson",
        topic="loops",
        completed_at=datetime(2026, 6, 1, 0, 0, tzinfo=UTC),
        timezone="Pacific/Kiritimati",
    )
    store = MemoryStore()
    for event in [*unnamed, late]:
        recording = run_in_memory(ledger.record(store, "ada", event))
        assert recording.outcome == "recorded"
        store.apply(recording.changes)
    snapshot = run_in_memory(ledger.load_snapshot(store))
    start, end = date(2026, 6, 1), date(2026, 6, 10)
    events = [*unnamed, late]

    history = history_from_days(run_in_memory(ledger.day_records(store, snapshot, start, end)), start, end)
    month = period_bounds("month", date(2026, 6, 10))
    month_records = run_in_memory(ledger.day_records(store, snapshot, *month))
    now = datetime(2026, 6, 9, 12, 0, tzinfo=UTC)  # June 10 in Kiritimati

    assert history == daily_history(events, start, end)
    assert [day.events for day in history] == [1, 0, 1, 1, 1, 1, 1, 1, 0, 0]
    assert [day.streak for day in history] == [1, 1, 1, 2, 3, 4, 5, 6, 6, 0]
    assert views.statistics_of(snapshot, month_records, "month", date(2026, 6, 10)) == statistics(
        replay("ada", events), events, "month", now
    )
