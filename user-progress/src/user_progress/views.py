"""What the read endpoints answer, from the stored snapshot and day values (pure).

Every view of a learner is computed here, in the API's process, from what the learner actor
returns (its snapshot, day records and log): the actor stores and reads, it computes no view.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterable
from datetime import date, datetime
from typing import Any

from user_progress.domain.calendar import local_date, today_in, week_of
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import ClosedDay
from user_progress.domain.reports import Period, Statistics, export_row, period_bounds, statistics_from_days
from user_progress.domain.status import Achievements, LearnerStatus, achievements_view, learner_status
from user_progress.ledger import Snapshot


def status_of(snapshot: Snapshot, now: datetime) -> LearnerStatus:
    fold = snapshot.fold
    state = fold.state()
    this_week = week_of(today_in(state.timezone, now))
    return learner_status(
        state, snapshot.announced, snapshot.lessons_assigned, fold.local_week_xp.get(this_week, 0), now
    )


def achievements_of(snapshot: Snapshot) -> Achievements:
    return achievements_view(snapshot.fold.state(), snapshot.announced)


def statistics_of(snapshot: Snapshot, records: Iterable[ClosedDay], period: Period, today: date) -> Statistics:
    """``records``: the active days of the period (ignored for ``all``, which the snapshot totals)."""
    start, end = period_bounds(period, today)
    fold = snapshot.fold
    if period == "all":
        return statistics_from_days(
            fold.learner_id, [fold.totals], period, fold.timezone, start, end, active_days=fold.active_days
        )
    rollups = [record.rollup for record in records if start is not None and start <= record.rollup.date <= end]
    return statistics_from_days(fold.learner_id, rollups, period, fold.timezone, start, end)


async def export_rows_of(events: AsyncIterator[LearningEvent]) -> AsyncIterator[dict[str, Any]]:
    """Export rows from the log in time order, each on the local date the service counted it on."""
    named: str | None = None
    async for event in events:
        yield export_row(event, local_date(event, named))
        named = event.timezone or named
