"""Streaks: consecutive calendar days with at least one learning event, bridged by freezes.

Derived from the set of active days (never incremented per event), so late and out-of-order
events give the same streak as in-order delivery.

Freezes:

- every ``FREEZE_EVERY_DAYS``-th active day of a run earns one; they are banked;
- a missed day spends one; at most ``MAX_FREEZES`` can bridge one gap, so the days the learner may
  miss in a row right now are ``freezes_available = min(MAX_FREEZES, banked)``;
- a gap longer than that ends the run: the current streak starts again at 1 and the banked freezes
  are forfeited with it (they belong to the run that earned them).

Why banked and not capped when earned: with a cap on earning, adding an active day shifts when the
later freezes are earned and can lower the current streak; with this rule, adding an active day
never lowers the current streak through the same last day, nor as of any later day (property
tested in ``tests/unit/test_streaks.py``). A bridged day is not a streak day itself.
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
    #: freezes earned by the current run and not spent yet
    freezes_banked: int = 0
    last_active_date: date | None = None

    @property
    def freezes_available(self) -> int:
        """How many days in a row the learner may miss now without breaking the streak."""
        return min(MAX_FREEZES, self.freezes_banked)


def next_streak(streak: Streak, day: date) -> Streak:
    """The streak once ``day`` (after ``streak.last_active_date``) is active too: one step of the fold."""
    previous = streak.last_active_date
    if previous is not None and day <= previous:
        raise ValueError(f"{day} is not after the last active day {previous}")
    missed = (day - previous).days - 1 if previous else None
    current, banked = streak.current, streak.freezes_banked
    if missed is None:
        current, banked = 1, 0
    elif missed <= streak.freezes_available:
        current, banked = current + 1, banked - missed
    else:
        current, banked = 1, 0
    if current % FREEZE_EVERY_DAYS == 0:
        banked += 1
    return Streak(current, max(streak.longest, current), banked, day)


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
    day uses a freeze; more missed days than available freezes break it: current 0, and the banked
    freezes are forfeited (the same rule as when the next active day comes).
    """
    if through.last_active_date is None:
        return through
    missed = (today - through.last_active_date).days - 1
    if missed <= 0:
        return through
    if missed <= through.freezes_available:
        return Streak(through.current, through.longest, through.freezes_banked - missed, through.last_active_date)
    return Streak(0, through.longest, 0, through.last_active_date)
