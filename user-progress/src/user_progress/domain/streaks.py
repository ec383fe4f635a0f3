"""Streaks: consecutive calendar days with at least one learning event.

Derived from the set of active days (never incremented per event), so late and out-of-order
events give the same streak as in-order delivery. Reaching a multiple of FREEZE_EVERY_DAYS in a
run earns a freeze (at most MAX_FREEZES); a freeze bridges one missed day without breaking the
run (the bridged day itself does not count as a streak day).
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date

FREEZE_EVERY_DAYS = 7
MAX_FREEZES = 2


@dataclass(frozen=True)
class Streak:
    current: int = 0
    longest: int = 0
    freezes_available: int = 0
    last_active_date: date | None = None


def next_streak(streak: Streak, day: date) -> Streak:
    """The streak once ``day`` (after ``streak.last_active_date``) is active too: one step of the fold."""
    previous = streak.last_active_date
    current, freezes = streak.current, streak.freezes_available
    missed = (day - previous).days - 1 if previous else None
    if previous is not None and day <= previous:
        raise ValueError(f"{day} is not after the last active day {previous}")
    if missed is None:
        current = 1
    elif missed == 0:
        current += 1
    elif missed <= freezes:
        freezes -= missed
        current += 1
    else:
        current = 1
    if current % FREEZE_EVERY_DAYS == 0:
        freezes = min(MAX_FREEZES, freezes + 1)
    return Streak(current, max(streak.longest, current), freezes, day)


def streak_through(active_days: Iterable[date], start: Streak = Streak()) -> Streak:
    """The streak as it stands at the end of the last active day (``start``: the streak before them)."""
    streak = start
    for day in sorted(set(active_days)):
        streak = next_streak(streak, day)
    return streak


def streak_on(through: Streak, today: date) -> Streak:
    """The streak as the learner sees it on ``today`` (their local date), from the streak through
    their last active day.

    Today not being active yet does not break it; each fully missed day since the last active
    day uses a freeze; more missed days than freezes break it (current 0).
    """
    if through.last_active_date is None:
        return through
    missed = (today - through.last_active_date).days - 1
    if missed <= 0:
        return through
    if missed <= through.freezes_available:
        return Streak(through.current, through.longest, through.freezes_available - missed, through.last_active_date)
    return Streak(0, through.longest, through.freezes_available, through.last_active_date)
