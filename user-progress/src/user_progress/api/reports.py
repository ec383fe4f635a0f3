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

from learnflow_common.app import Sidecar
from learnflow_common.auth import AuthorizedLearner
from learnflow_common.dapr import DaprSidecar
from learnflow_common.problems import invalid_field
from user_progress.adapters.actors import LEARNER_ACTOR
from user_progress.api.models import EARLIEST_DATE, LATEST_DATE, Achievements, History, Statistics
from user_progress.api.progress import LEARNER_NOT_FOUND, learner_not_found
from user_progress.domain.calendar import today_in
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import ClosedDay
from user_progress.domain.reports import (
    EXPORT_COLUMNS,
    MAX_HISTORY_DAYS,
    Period,
    history_from_days,
    period_bounds,
    spreadsheet_safe,
)
from user_progress.domain.status import achievements_view
from user_progress.ledger import Snapshot
from user_progress.views import export_rows_of, statistics_of, status_of

router = APIRouter(tags=["reports"])
#: The learner asked for, once the caller is known to be allowed to see them.
Learner = AuthorizedLearner


async def _snapshot(sidecar: DaprSidecar, learner_id: str) -> Snapshot:
    raw = await sidecar.invoke_actor(LEARNER_ACTOR, learner_id, "GetSnapshot")
    if raw is None:
        raise learner_not_found(learner_id)
    return Snapshot.from_dict(raw)


async def _days(sidecar: DaprSidecar, learner_id: str, start: date, end: date) -> list[ClosedDay]:
    raw = await sidecar.invoke_actor(LEARNER_ACTOR, learner_id, "GetDays", {"from": str(start), "to": str(end)})
    return [ClosedDay.from_dict(record) for record in raw]


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
    snapshot = await _snapshot(sidecar, learner_id)
    timezone = snapshot.fold.timezone
    end = to_date or today_in(timezone, datetime.now(UTC))
    start = from_date or max(EARLIEST_DATE, end - timedelta(days=29))
    if start > end:
        raise invalid_field("from", "'from' must not be after 'to'")
    if (end - start).days + 1 > MAX_HISTORY_DAYS:
        raise invalid_field("from", f"at most {MAX_HISTORY_DAYS} days per request")
    page_end = min(end, start + timedelta(days=limit - 1))
    days = history_from_days(await _days(sidecar, learner_id, start, page_end), start, page_end)
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
async def get_statistics(learner_id: Learner, sidecar: Sidecar, period: Annotated[Period, Query()] = "week") -> Any:
    snapshot = await _snapshot(sidecar, learner_id)
    today = today_in(snapshot.fold.timezone, datetime.now(UTC))
    start, end = period_bounds(period, today)
    records = await _days(sidecar, learner_id, start, end) if start is not None else []
    return {"learner_id": learner_id, **statistics_of(snapshot, records, period, today)}


@router.get(
    "/achievements",
    response_model=Achievements,
    summary="Unlocked achievements and progress to the rest",
    responses=LEARNER_NOT_FOUND,
)
async def get_achievements(learner_id: Learner, sidecar: Sidecar) -> Any:
    snapshot = await _snapshot(sidecar, learner_id)
    return achievements_view(snapshot.fold.state(), snapshot.announced)


async def _log(sidecar: DaprSidecar, learner_id: str) -> AsyncIterator[LearningEvent]:
    cursor: str | None = None
    while True:
        page = await sidecar.invoke_actor(LEARNER_ACTOR, learner_id, "ReadLog", {"cursor": cursor})
        for raw in page["events"]:
            yield LearningEvent.from_dict(raw)
        cursor = page["next_cursor"]
        if cursor is None:
            return


async def _lessons(sidecar: DaprSidecar, learner_id: str) -> AsyncIterator[tuple[str, Any]]:
    cursor: str | None = None
    while True:
        page = await sidecar.invoke_actor(LEARNER_ACTOR, learner_id, "ReadLessons", {"cursor": cursor})
        for item in page["lessons"].items():
            yield item
        cursor = page["next_cursor"]
        if cursor is None:
            return


async def _csv(sidecar: DaprSidecar, learner_id: str) -> AsyncIterator[str]:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
    writer.writeheader()
    async for row in export_rows_of(_log(sidecar, learner_id)):
        writer.writerow(spreadsheet_safe(row))
        if buffer.tell() > 64 * 1024:
            yield buffer.getvalue()
            buffer.seek(0)
            buffer.truncate()
    yield buffer.getvalue()


async def _json_document(sidecar: DaprSidecar, learner_id: str, snapshot: Snapshot) -> AsyncIterator[str]:
    """The export document, written piece by piece: the events are never all in memory."""
    now = datetime.now(UTC)
    state = snapshot.fold.state()
    head = {
        "learner_id": learner_id,
        "exported_at": now,
        "status": status_of(snapshot, now),
        # A topic has a card from its first graded attempt on; one with only lessons has no schedule yet.
        "review_schedule": {name: topic.card.to_dict() for name, topic in state.topics.items() if topic.card},
    }
    yield json.dumps(to_jsonable_python(head), indent=2)[:-2] + ',\n  "lessons_assigned": {'
    separator = ""
    async for lesson_id, lesson in _lessons(sidecar, learner_id):
        yield f"{separator}\n    {json.dumps(lesson_id)}: {json.dumps(lesson)}"
        separator = ","
    yield '\n  },\n  "events": ['
    separator = ""
    async for row in export_rows_of(_log(sidecar, learner_id)):
        yield f"{separator}\n    {json.dumps(to_jsonable_python(row))}"
        separator = ","
    yield "\n  ]\n}\n"


@router.get(
    "/export",
    summary="Export a learner's data",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}, **LEARNER_NOT_FOUND},
)
async def export(
    learner_id: Learner, sidecar: Sidecar, format: Annotated[Literal["json", "csv"], Query()] = "json"
) -> StreamingResponse:
    """Streamed: the log is read a page at a time, whatever the learner's history."""
    snapshot = await _snapshot(sidecar, learner_id)
    headers = {"Content-Disposition": f'attachment; filename="learnflow-progress-{learner_id}.{format}"'}
    if format == "csv":
        return StreamingResponse(_csv(sidecar, learner_id), media_type="text/csv; charset=utf-8", headers=headers)
    return StreamingResponse(
        _json_document(sidecar, learner_id, snapshot), media_type="application/json", headers=headers
    )
