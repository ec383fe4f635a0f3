"""History, statistics and export rows, computed from the events alone (pure)."""

from __future__ import annotations

from collections import Counter
from datetime import date, datetime, timedelta
from typing import Any, Literal

from user_progress.domain.calendar import local_dates, today_in
from user_progress.domain.events import LearningEvent
from user_progress.domain.learner import LearnerState, ordered
from user_progress.domain.streaks import streak_on
from user_progress.domain.xp import event_xp, level_for

Period = Literal["day", "week", "month", "all"]
MAX_HISTORY_DAYS = 366


def daily_history(events: list[LearningEvent], start: date, end: date) -> list[dict[str, Any]]:
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
        streak = streak_on([d for d in active_days if d <= day], day)
        scores = [event.score for event in todays if event.score is not None]
        snapshots.append(
            {
                "date": day,
                "events": len(todays),
                "xp_earned": xp_today,
                "xp_total": xp_total,
                "level": level_for(xp_total).level,
                "streak": streak.current,
                "average_score": round(sum(scores) / len(scores), 2) if scores else None,
                "topics": sorted({event.topic for event in todays}),
            }
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


def statistics(state: LearnerState, events: list[LearningEvent], period: Period, now: datetime) -> dict[str, Any]:
    start, end = period_bounds(period, today_in(state.timezone, now))
    dates = local_dates(events)
    chosen = [e for e in events if (start is None or dates[e.event_id] >= start) and dates[e.event_id] <= end]
    scores = [event.score for event in chosen if event.score is not None]
    counts = Counter(event.activity for event in chosen)
    return {
        "period": period,
        "from": start,
        "to": end,
        "timezone": state.timezone,
        "events": len(chosen),
        "by_activity": {activity: counts[activity] for activity in ("lesson", "exercise", "quiz", "review")},
        "xp_earned": sum(event_xp(event) for event in chosen),
        "average_score": round(sum(scores) / len(scores), 2) if scores else None,
        "duration_seconds": sum(event.duration_seconds or 0 for event in chosen),
        "hints_used": sum(event.hints_used or 0 for event in chosen),
        "active_days": len({dates[event.event_id] for event in chosen}),
        "topics": sorted({event.topic for event in chosen}),
    }


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
    return [
        {
            **{column: getattr(event, column) for column in EXPORT_COLUMNS[:1] + EXPORT_COLUMNS[3:10]},
            "completed_at": event.completed_at.isoformat(),
            "local_date": dates[event.event_id].isoformat(),
            "xp": event_xp(event),
        }
        for event in history
    ]
