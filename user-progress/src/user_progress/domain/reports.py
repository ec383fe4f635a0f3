"""History, statistics and export rows (pure).

``daily_history`` and ``statistics`` compute from the events themselves: the reference. The service
answers from the closed days' rollups instead (``history_from_days``, ``statistics_from_days``),
which a year of costs at most a dozen stored values; property tests hold them to the reference.
"""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, Literal

from pydantic import Field

from learnflow_common.vocabulary import ACTIVITIES
from user_progress.domain.calendar import local_dates, today_in
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import ClosedDay, DayRollup
from user_progress.domain.learner import LearnerState, ordered
from user_progress.domain.status import View
from user_progress.domain.streaks import streak_on, streak_through
from user_progress.domain.xp import event_xp, level_for

Period = Literal["day", "week", "month", "all"]
MAX_HISTORY_DAYS = 366


# Where the learner stood at the end of one local date (GET /history). No docstring: it would be
# the schema's description in the OpenAPI document.
class DailySnapshot(View):
    date: date
    events: int
    xp_earned: int
    xp_total: int
    level: int
    streak: int
    average_score: float | None
    topics: list[str]


# The figures of a period (GET /statistics).
class Statistics(View):
    learner_id: str
    period: str
    from_date: date | None = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    timezone: str
    events: int
    by_activity: dict[str, int]
    xp_earned: int
    average_score: float | None
    duration_seconds: int
    hints_used: int
    active_days: int
    topics: list[str]


def daily_history(events: list[LearningEvent], start: date, end: date) -> list[DailySnapshot]:
    """One snapshot per local date in [start, end], as it stood at the end of that day."""
    history = ordered(events)
    dates = local_dates(history)
    by_day: dict[date, list[LearningEvent]] = {}
    for event in history:
        by_day.setdefault(dates[event.event_id], []).append(event)
    active_days = sorted(by_day)
    xp_total = sum(event_xp(e) for day in active_days if day < start for e in by_day[day])
    snapshots = []
    day = start
    while day <= end:
        todays = by_day.get(day, [])
        xp_today = sum(event_xp(event) for event in todays)
        xp_total += xp_today
        streak = streak_on(streak_through(d for d in active_days if d <= day), day)
        scores = [event.graded_score for event in todays if event.graded_score is not None]
        snapshots.append(
            DailySnapshot(
                date=day,
                events=len(todays),
                xp_earned=xp_today,
                xp_total=xp_total,
                level=level_for(xp_total).level,
                streak=streak.current,
                average_score=round(sum(scores) / len(scores), 2) if scores else None,
                topics=sorted({event.topic for event in todays}),
            )
        )
        day += timedelta(days=1)
    return snapshots


def period_bounds(period: Period, today: date) -> tuple[date | None, date]:
    if period == "day":
        return today, today
    if period == "week":
        monday = today - timedelta(days=today.weekday())
        return monday, monday + timedelta(days=6)
    if period == "month":
        first = today.replace(day=1)
        next_month = (first + timedelta(days=32)).replace(day=1)
        return first, next_month - timedelta(days=1)
    return None, today


def history_from_days(records: list[ClosedDay], start: date, end: date) -> list[DailySnapshot]:
    """The same snapshots as ``daily_history``, from the active days in [start, end] (with where
    the learner stood after each) and the last active day before ``start``."""
    by_day = {record.rollup.date: record for record in records}
    before = [record for record in records if record.rollup.date < start]
    standing = before[-1].standing if before else None
    snapshots, day = [], start
    while day <= end:
        record = by_day.get(day)
        standing = record.standing if record else standing
        rollup = record.rollup if record else DayRollup(day)
        xp_total = standing.xp_total if standing else 0
        snapshots.append(
            DailySnapshot(
                date=day,
                events=rollup.events,
                xp_earned=rollup.xp,
                xp_total=xp_total,
                level=level_for(xp_total).level,
                streak=streak_on(standing.streak, day).current if standing else 0,
                average_score=round(rollup.score_sum / rollup.score_count, 2) if rollup.score_count else None,
                topics=list(rollup.topics),
            )
        )
        day += timedelta(days=1)
    return snapshots


def statistics_from_days(
    learner_id: str,
    rollups: list[DayRollup],
    period: Period,
    timezone: str,
    start: date | None,
    end: date,
    active_days: int | None = None,
) -> Statistics:
    """The same figures as ``statistics``, from the rollups of the period's active days (for
    ``all``: one rollup of everything, and the count of active days)."""
    events = sum(rollup.events for rollup in rollups)
    score_count = sum(rollup.score_count for rollup in rollups)
    score_sum = sum(rollup.score_sum for rollup in rollups)
    return Statistics(
        learner_id=learner_id,
        period=period,
        from_date=start,
        to_date=end,
        timezone=timezone,
        events=events,
        by_activity={a: sum(r.by_activity[a] for r in rollups) for a in ACTIVITIES},
        xp_earned=sum(rollup.xp for rollup in rollups),
        average_score=round(score_sum / score_count, 2) if score_count else None,
        duration_seconds=sum(rollup.duration_seconds for rollup in rollups),
        hints_used=sum(rollup.hints_used for rollup in rollups),
        active_days=len(rollups) if active_days is None else active_days,
        topics=sorted({topic for rollup in rollups for topic in rollup.topics}),
    )


def statistics(state: LearnerState, events: list[LearningEvent], period: Period, now: datetime) -> Statistics:
    """Figures for the day, ISO week or month (in the learner's zone) that ``now`` falls in, or for
    everything recorded (``all``)."""
    start, end = period_bounds(period, today_in(state.timezone, now))
    dates = local_dates(events)
    chosen = events if start is None else [e for e in events if start <= dates[e.event_id] <= end]
    scores = [event.graded_score for event in chosen if event.graded_score is not None]
    counts = Counter(event.activity for event in chosen)
    return Statistics(
        learner_id=state.learner_id,
        period=period,
        from_date=start,
        to_date=end,
        timezone=state.timezone,
        events=len(chosen),
        by_activity={activity: counts[activity] for activity in ACTIVITIES},
        xp_earned=sum(event_xp(event) for event in chosen),
        average_score=round(sum(scores) / len(scores), 2) if scores else None,
        duration_seconds=sum(event.duration_seconds or 0 for event in chosen),
        hints_used=sum(event.hints_used or 0 for event in chosen),
        active_days=len({dates[event.event_id] for event in chosen}),
        topics=sorted({event.topic for event in chosen}),
    )


EXPORT_COLUMNS = (
    "event_id",
    "completed_at",
    "local_date",
    "activity",
    "topic",
    "score",
    "duration_seconds",
    "hints_used",
    "timezone",
    "lesson_id",
    "xp",
)


def export_rows(events: list[LearningEvent]) -> list[dict[str, Any]]:
    history = ordered(events)
    dates = local_dates(history)
    return [export_row(event, dates[event.event_id]) for event in history]


#: A spreadsheet runs a cell that starts with one of these as a formula (OWASP "CSV injection").
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")


def spreadsheet_safe(row: dict[str, Any]) -> dict[str, Any]:
    """The row for a CSV file: text cells a spreadsheet would run as a formula get a leading ``'``.
    Today's ids cannot start so, but events recorded before the id rule (or converted) can."""
    return {
        column: f"'{value}" if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS) else value
        for column, value in row.items()
    }


def export_row(event: LearningEvent, day: date) -> dict[str, Any]:
    return {
        **{column: getattr(event, column) for column in EXPORT_COLUMNS[:1] + EXPORT_COLUMNS[3:10]},
        "completed_at": event.completed_at.isoformat(),
        "local_date": day.isoformat(),
        "xp": event_xp(event),
    }
