"""Reports: daily history per local date, period statistics in the learner's zone, export rows."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.vocabulary import Activity
from user_progress.domain.events import LearningEvent
from user_progress.domain.learner import LearnerState, replay
from user_progress.domain.reports import EXPORT_COLUMNS, Period, daily_history, export_rows, period_bounds, statistics

BERLIN = "Europe/Berlin"


def _history(events: list[LearningEvent], start: date, end: date) -> list[dict[str, Any]]:
    return [snapshot.model_dump() for snapshot in daily_history(events, start, end)]


def _statistics(state: LearnerState, events: list[LearningEvent], period: Period, now: datetime) -> dict[str, Any]:
    return statistics(state, events, period, now).model_dump(by_alias=True)


def _event(
    event_id: str,
    at: datetime,
    activity: Activity = "lesson",
    score: int | None = None,
    topic: str = "loops",
    timezone: str | None = BERLIN,
    duration_seconds: int | None = None,
    hints_used: int | None = None,
) -> LearningEvent:
    return LearningEvent(
        event_id=event_id,
        learner_id="ada",
        activity=activity,
        topic=topic,
        completed_at=at,
        score=score,
        duration_seconds=duration_seconds,
        hints_used=hints_used,
        timezone=timezone,
    )


# ---------------------------------------------------------------------------------- daily history
HISTORY = [
    _event("a", datetime(2026, 3, 1, 10, 0, tzinfo=UTC), "quiz", 100, "strings"),  # 20 XP
    _event("b", datetime(2026, 3, 3, 10, 0, tzinfo=UTC), "lesson", None, "loops"),  # 10 XP
    _event("c", datetime(2026, 3, 3, 11, 0, tzinfo=UTC), "exercise", 50, "functions"),  # 15 XP
    _event("d", datetime(2026, 3, 4, 10, 0, tzinfo=UTC), "quiz", 80, "loops"),  # 18 XP
]


def test_daily_history_has_one_snapshot_per_local_date_inclusive() -> None:
    snapshots = _history(HISTORY, date(2026, 3, 2), date(2026, 3, 5))

    assert [s["date"] for s in snapshots] == [date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 4), date(2026, 3, 5)]


def test_daily_history_of_a_single_day_is_one_snapshot() -> None:
    assert [s["date"] for s in _history(HISTORY, date(2026, 3, 3), date(2026, 3, 3))] == [date(2026, 3, 3)]


def test_daily_history_with_start_after_end_is_empty() -> None:
    assert _history(HISTORY, date(2026, 3, 5), date(2026, 3, 4)) == []


def test_daily_history_xp_total_is_cumulative_including_days_before_the_window() -> None:
    snapshots = _history(HISTORY, date(2026, 3, 2), date(2026, 3, 5))

    assert [s["xp_earned"] for s in snapshots] == [0, 25, 18, 0]
    assert [s["xp_total"] for s in snapshots] == [20, 45, 63, 63]


def test_daily_history_snapshot_describes_that_days_events() -> None:
    march_3 = _history(HISTORY, date(2026, 3, 3), date(2026, 3, 3))[0]

    assert march_3 == {
        "date": date(2026, 3, 3),
        "events": 2,
        "xp_earned": 25,
        "xp_total": 45,
        "level": 1,
        "streak": 1,
        "average_score": 50.0,
        "topics": ["functions", "loops"],
    }


def test_daily_history_day_without_events_carries_totals_and_has_no_average() -> None:
    march_5 = _history(HISTORY, date(2026, 3, 5), date(2026, 3, 5))[0]

    assert (march_5["events"], march_5["xp_total"], march_5["average_score"], march_5["topics"]) == (0, 63, None, [])


def test_daily_history_streak_is_as_it_stood_at_the_end_of_each_day() -> None:
    snapshots = _history(HISTORY, date(2026, 3, 1), date(2026, 3, 7))

    # active March 1, 3, 4: March 2 not yet broken, March 3 restarts, March 5 pending, March 6 broken.
    assert [s["streak"] for s in snapshots] == [1, 1, 1, 2, 2, 0, 0]


def test_daily_history_level_follows_cumulative_xp() -> None:
    quizzes = [_event(f"q{i}", datetime(2026, 3, 1 + i, 10, 0, tzinfo=UTC), "quiz", 100) for i in range(6)]

    snapshots = _history(quizzes, date(2026, 3, 1), date(2026, 3, 6))

    assert [s["level"] for s in snapshots] == [1, 1, 1, 1, 2, 2]


def test_daily_history_buckets_events_by_the_learners_local_date() -> None:
    # 01:00 on March 3 in Kiritimati is still March 2 in UTC.
    event = _event("k", datetime(2026, 3, 2, 11, 0, tzinfo=UTC), timezone="Pacific/Kiritimati")

    snapshots = _history([event], date(2026, 3, 2), date(2026, 3, 3))

    assert [s["events"] for s in snapshots] == [0, 1]


# --------------------------------------------------------------------------------- period bounds
@pytest.mark.parametrize(
    ("period", "today", "bounds"),
    [
        ("day", date(2026, 3, 4), (date(2026, 3, 4), date(2026, 3, 4))),
        ("week", date(2026, 3, 4), (date(2026, 3, 2), date(2026, 3, 8))),  # a Wednesday
        ("week", date(2026, 3, 2), (date(2026, 3, 2), date(2026, 3, 8))),  # a Monday
        ("week", date(2026, 3, 8), (date(2026, 3, 2), date(2026, 3, 8))),  # a Sunday
        ("week", date(2026, 12, 31), (date(2026, 12, 28), date(2027, 1, 3))),  # across the new year
        ("month", date(2026, 1, 31), (date(2026, 1, 1), date(2026, 1, 31))),
        ("month", date(2026, 2, 14), (date(2026, 2, 1), date(2026, 2, 28))),
        ("month", date(2028, 2, 29), (date(2028, 2, 1), date(2028, 2, 29))),  # leap year
        ("month", date(2026, 4, 1), (date(2026, 4, 1), date(2026, 4, 30))),
        ("month", date(2026, 12, 15), (date(2026, 12, 1), date(2026, 12, 31))),
        ("all", date(2026, 3, 4), (None, date(2026, 3, 4))),
    ],
)
def test_period_bounds(period: Period, today: date, bounds: tuple[date | None, date]) -> None:
    assert period_bounds(period, today) == bounds


# ------------------------------------------------------------------------------------ statistics
def test_statistics_week_is_monday_to_sunday_in_the_learners_zone() -> None:
    events = [
        _event("sun-before", datetime(2026, 3, 29, 18, 0, tzinfo=UTC)),  # Sunday March 29, 20:00 CEST
        _event("mon-first", datetime(2026, 3, 29, 22, 30, tzinfo=UTC)),  # Monday March 30, 00:30 CEST
        _event("sun-last", datetime(2026, 4, 5, 21, 0, tzinfo=UTC)),  # Sunday April 5, 23:00 CEST
        _event("mon-after", datetime(2026, 4, 5, 22, 30, tzinfo=UTC)),  # Monday April 6, 00:30 CEST
    ]
    now = datetime(2026, 3, 29, 22, 45, tzinfo=UTC)  # still Sunday in UTC, Monday in Berlin

    stats = _statistics(replay("ada", events), events, "week", now)

    assert (stats["from"], stats["to"], stats["timezone"]) == (date(2026, 3, 30), date(2026, 4, 5), BERLIN)
    assert stats["events"] == 2
    assert stats["active_days"] == 2


def test_statistics_month_covers_february_in_the_learners_zone() -> None:
    new_york = "America/New_York"
    events = [
        _event("jan", datetime(2026, 2, 1, 4, 30, tzinfo=UTC), timezone=new_york),  # January 31, 23:30
        _event("feb-1", datetime(2026, 2, 1, 5, 10, tzinfo=UTC), timezone=new_york),  # February 1, 00:10
        _event("feb-28", datetime(2026, 3, 1, 4, 50, tzinfo=UTC), timezone=new_york),  # February 28, 23:50
        _event("mar", datetime(2026, 3, 1, 5, 5, tzinfo=UTC), timezone=new_york),  # March 1, 00:05
    ]

    stats = _statistics(replay("ada", events), events, "month", datetime(2026, 2, 15, tzinfo=UTC))

    assert (stats["from"], stats["to"]) == (date(2026, 2, 1), date(2026, 2, 28))
    assert stats["events"] == 2


def test_statistics_day_counts_only_the_learners_today() -> None:
    events = [
        _event("yesterday", datetime(2026, 3, 3, 22, 30, tzinfo=UTC)),  # 23:30 March 3 in Berlin
        _event("today", datetime(2026, 3, 3, 23, 30, tzinfo=UTC)),  # 00:30 March 4 in Berlin
    ]

    stats = _statistics(replay("ada", events), events, "day", datetime(2026, 3, 4, 8, 0, tzinfo=UTC))

    assert (stats["from"], stats["to"], stats["events"]) == (date(2026, 3, 4), date(2026, 3, 4), 1)


def test_statistics_all_covers_everything_recorded() -> None:
    # Everything recorded, even an event dated after the learner's today (a clock ahead of ours).
    events = [
        _event("long-ago", datetime(2024, 1, 1, 12, 0, tzinfo=UTC), "quiz", 100),
        _event("today", datetime(2026, 3, 4, 12, 0, tzinfo=UTC)),
        _event("tomorrow", datetime(2026, 3, 5, 12, 0, tzinfo=UTC)),
    ]

    stats = _statistics(replay("ada", events), events, "all", datetime(2026, 3, 4, 13, 0, tzinfo=UTC))

    assert (stats["from"], stats["to"], stats["events"]) == (None, date(2026, 3, 4), 3)
    assert (stats["xp_earned"], stats["active_days"]) == (20 + 10 + 10, 3)


def test_statistics_sums_the_chosen_events() -> None:
    events = [
        _event(
            "a", datetime(2026, 3, 2, 9, 0, tzinfo=UTC), "exercise", 80, "loops", duration_seconds=600, hints_used=2
        ),
        _event("b", datetime(2026, 3, 3, 9, 0, tzinfo=UTC), "quiz", 95, "strings", duration_seconds=120),
        _event("c", datetime(2026, 3, 3, 10, 0, tzinfo=UTC), "lesson", None, "loops"),
    ]

    stats = _statistics(replay("ada", events), events, "week", datetime(2026, 3, 4, tzinfo=UTC))

    assert stats == {
        "learner_id": "ada",
        "period": "week",
        "from": date(2026, 3, 2),
        "to": date(2026, 3, 8),
        "timezone": BERLIN,
        "events": 3,
        "by_activity": {"lesson": 1, "exercise": 1, "quiz": 1, "review": 0},
        "xp_earned": 18 + 19 + 10,
        "average_score": 87.5,
        "duration_seconds": 720,
        "hints_used": 2,
        "active_days": 2,
        "topics": ["loops", "strings"],
    }


def test_statistics_of_an_empty_period_has_no_average() -> None:
    events = [_event("a", datetime(2026, 1, 5, 9, 0, tzinfo=UTC), "quiz", 70)]

    stats = _statistics(replay("ada", events), events, "day", datetime(2026, 3, 4, tzinfo=UTC))

    assert (stats["events"], stats["xp_earned"], stats["average_score"], stats["topics"]) == (0, 0, None, [])


# ---------------------------------------------------------------------------------------- export
def test_export_rows_are_ordered_by_time_then_id_whatever_the_input_order() -> None:
    at = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    events = [_event("z", at + timedelta(hours=1)), _event("b", at), _event("a", at)]

    assert [row["event_id"] for row in export_rows(events)] == ["a", "b", "z"]


def test_export_row_has_every_column_with_local_date_and_xp() -> None:
    event = _event(
        "k",
        datetime(2026, 3, 2, 11, 0, tzinfo=UTC),
        "exercise",
        75,
        timezone="Pacific/Kiritimati",
        duration_seconds=90,
        hints_used=1,
    )

    (row,) = export_rows([event])

    assert row.keys() == set(EXPORT_COLUMNS)
    assert row == {
        "event_id": "k",
        "completed_at": "2026-03-02T11:00:00+00:00",
        "local_date": "2026-03-03",
        "activity": "exercise",
        "topic": "loops",
        "score": 75,
        "duration_seconds": 90,
        "hints_used": 1,
        "timezone": "Pacific/Kiritimati",
        "lesson_id": None,
        "xp": 17,
    }


def test_export_row_without_a_zone_uses_the_zone_in_effect_then() -> None:
    events = [
        _event("a", datetime(2026, 3, 2, 9, 0, tzinfo=UTC), timezone="Pacific/Pago_Pago"),
        _event("b", datetime(2026, 3, 3, 5, 0, tzinfo=UTC), timezone=None),  # 18:00 March 2 in Pago Pago
    ]

    assert [row["local_date"] for row in export_rows(events)] == ["2026-03-01", "2026-03-02"]


# ------------------------------------------------------------------------------------- properties
@given(today=st.dates(date(1999, 1, 1), date(2100, 12, 31)))
def test_week_is_the_seven_days_monday_to_sunday_around_today(today: date) -> None:
    start, end = period_bounds("week", today)

    assert start is not None
    assert start <= today <= end
    assert (start.isoweekday(), end.isoweekday(), (end - start).days) == (1, 7, 6)


@given(today=st.dates(date(1999, 1, 1), date(2100, 12, 31)))
def test_month_is_the_first_to_the_last_day_of_todays_month(today: date) -> None:
    start, end = period_bounds("month", today)

    assert start == today.replace(day=1)
    assert (end.year, end.month) == (today.year, today.month)
    assert (end + timedelta(days=1)).day == 1


@settings(deadline=None)
@given(
    offsets=st.lists(st.tuples(st.integers(0, 40 * 24), st.integers(0, 100)), min_size=1, max_size=15),
    start_offset=st.integers(0, 40),
    length=st.integers(0, 40),
)
def test_daily_history_covers_every_day_and_ends_with_all_xp_up_to_the_end(
    offsets: list[tuple[int, int]], start_offset: int, length: int
) -> None:
    origin = datetime(2026, 3, 10, tzinfo=UTC)
    events = [_event(f"e{i}", origin + timedelta(hours=h), "quiz", score) for i, (h, score) in enumerate(offsets)]
    start = date(2026, 3, 10) + timedelta(days=start_offset)
    end = start + timedelta(days=length)

    snapshots = _history(events, start, end)

    assert len(snapshots) == length + 1
    assert [s["date"] for s in snapshots] == [start + timedelta(days=i) for i in range(length + 1)]
    assert snapshots[-1]["xp_total"] == sum(row["xp"] for row in export_rows(events) if row["local_date"] <= str(end))


def test_csv_cells_a_spreadsheet_would_run_as_formulas_are_neutralised() -> None:
    """An event id stored before the id rule (`=HYPERLINK(...)`) must reach a spreadsheet as text."""
    from user_progress.domain.reports import export_row, spreadsheet_safe

    legacy = LearningEvent(
        event_id='=HYPERLINK("http://evil.example","x")',
        learner_id="ada",
        activity="quiz",
        topic="loops",
        completed_at=datetime(2026, 11, 2, 9, 0, tzinfo=UTC),
        score=80,
    )

    row = spreadsheet_safe(export_row(legacy, date(2026, 11, 2)))

    assert row["event_id"] == '\'=HYPERLINK("http://evil.example","x")'
    assert row["topic"] == "loops"
    assert row["score"] == 80
    assert row["completed_at"] == "2026-11-02T09:00:00+00:00"
