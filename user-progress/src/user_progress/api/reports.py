"""History, statistics, achievements and export of one learner.

Each reads only what it needs: the snapshot, at most a year of day values, or (export) the event log
one page at a time, streamed to the client.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import StreamingResponse
from pydantic_core import to_jsonable_python

from learnflow_common.app import AppSettings, Sidecar
from learnflow_common.auth import AuthorizedLearner
from learnflow_common.problems import invalid_field
from user_progress.adapters.actor_interface import LearnerProgress
from user_progress.adapters.learner_keys import learner_snapshot
from user_progress.api.models import EARLIEST_DATE, LATEST_DATE, Achievements, History, Statistics
from user_progress.api.progress import LEARNER_NOT_FOUND, learner_not_found
from user_progress.domain.calendar import today_in
from user_progress.domain.reports import (
    EXPORT_COLUMNS,
    MAX_HISTORY_DAYS,
    Period,
    history_from_days,
    period_bounds,
    spreadsheet_safe,
)
from user_progress.ledger import Snapshot
from user_progress.views import achievements_of, export_rows_of, statistics_of, status_of

router = APIRouter(tags=["reports"])
#: The learner asked for, once the caller is known to be allowed to see them.
Learner = AuthorizedLearner


async def _snapshot(sidecar: Sidecar, settings: AppSettings, learner_id: str) -> Snapshot:
    snapshot = await learner_snapshot(sidecar, settings.state_store, learner_id)
    if snapshot is None:
        raise learner_not_found(learner_id)
    return snapshot


@router.get(
    "/history",
    response_model=History,
    response_model_by_alias=True,
    summary="Daily snapshots",
    responses=LEARNER_NOT_FOUND,
)
async def get_history(
    learner_id: Learner,
    sidecar: Sidecar,
    settings: AppSettings,
    from_date: Annotated[
        date | None, Query(alias="from", description="first local date (default: 29 days ago)")
    ] = None,
    to_date: Annotated[date | None, Query(alias="to", description="last local date (default: today)")] = None,
    limit: Annotated[int, Query(ge=1, le=MAX_HISTORY_DAYS, description="days per page")] = MAX_HISTORY_DAYS,
) -> Any:
    """Pages of at most ``limit`` days from ``from``; ``next_cursor`` is the ``from`` of the next page."""
    for name, value in (("from", from_date), ("to", to_date)):
        if value is not None and not EARLIEST_DATE <= value <= LATEST_DATE:
            raise invalid_field(name, f"must be between {EARLIEST_DATE} and {LATEST_DATE}")
    learner = LearnerProgress(sidecar, learner_id)
    snapshot = await _snapshot(sidecar, settings, learner_id)
    timezone = snapshot.fold.timezone
    end = to_date or today_in(timezone, datetime.now(UTC))
    start = from_date or max(EARLIEST_DATE, end - timedelta(days=29))
    if start > end:
        raise invalid_field("from", "'from' must not be after 'to'")
    if (end - start).days + 1 > MAX_HISTORY_DAYS:
        raise invalid_field("from", f"at most {MAX_HISTORY_DAYS} days per request")
    page_end = min(end, start + timedelta(days=limit - 1))
    days = history_from_days(await learner.days(start, page_end), start, page_end)
    next_cursor = page_end + timedelta(days=1) if page_end < end else None
    return {
        "learner_id": learner_id,
        "timezone": timezone,
        "from_date": start,
        "to_date": end,
        "days": days,
        "next_cursor": next_cursor,
    }


@router.get(
    "/statistics",
    response_model=Statistics,
    response_model_by_alias=True,
    summary="Statistics by period",
    responses=LEARNER_NOT_FOUND,
)
async def get_statistics(
    learner_id: Learner, sidecar: Sidecar, settings: AppSettings, period: Annotated[Period, Query()] = "week"
) -> Statistics:
    learner = LearnerProgress(sidecar, learner_id)
    snapshot = await _snapshot(sidecar, settings, learner_id)
    today = today_in(snapshot.fold.timezone, datetime.now(UTC))
    start, end = period_bounds(period, today)
    records = await learner.days(start, end) if start is not None else []
    return statistics_of(snapshot, records, period, today)


@router.get(
    "/achievements",
    response_model=Achievements,
    summary="Unlocked achievements and progress to the rest",
    responses=LEARNER_NOT_FOUND,
)
async def get_achievements(learner_id: Learner, sidecar: Sidecar, settings: AppSettings) -> Achievements:
    return achievements_of(await _snapshot(sidecar, settings, learner_id))


async def _csv(learner: LearnerProgress) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    async for row in export_rows_of(learner.log()):
        writer.writerow(spreadsheet_safe(row))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


async def _json_document(learner: LearnerProgress, snapshot: Snapshot) -> AsyncIterator[str]:
    """The export document, written piece by piece: the events are never all in memory."""
    now = datetime.now(UTC)
    state = snapshot.fold.state()
    head = {
        "learner_id": learner.learner_id,
        "exported_at": now,
        "status": status_of(snapshot, now),
        # A topic has a card from its first graded attempt on; one with only lessons has no schedule yet.
        "review_schedule": {name: topic.card.to_dict() for name, topic in state.topics.items() if topic.card},
    }
    yield json.dumps(to_jsonable_python(head), indent=2)[:-2] + ',\n  "lessons_assigned": {'
    separator = ""
    async for lesson_id, lesson in learner.lessons():
        yield f"{separator}\n    {json.dumps(lesson_id)}: {json.dumps(lesson)}"
        separator = ","
    yield '\n  },\n  "events": ['
    separator = ""
    async for row in export_rows_of(learner.log()):
        yield f"{separator}\n    {json.dumps(to_jsonable_python(row))}"
        separator = ","
    yield "\n  ]\n}\n"


@router.get(
    "/export",
    summary="Export a learner's data",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}, **LEARNER_NOT_FOUND},
)
async def export(
    learner_id: Learner,
    sidecar: Sidecar,
    settings: AppSettings,
    format: Annotated[Literal["json", "csv"], Query()] = "json",
) -> StreamingResponse:
    """Streamed: the log is read a page at a time, whatever the learner's history."""
    learner = LearnerProgress(sidecar, learner_id)
    snapshot = await _snapshot(sidecar, settings, learner_id)
    headers = {"Content-Disposition": f'attachment; filename="learnflow-progress-{learner_id}.{format}"'}
    if format == "csv":
        return StreamingResponse(_csv(learner), media_type="text/csv; charset=utf-8", headers=headers)
    return StreamingResponse(_json_document(learner, snapshot), media_type="application/json", headers=headers)
