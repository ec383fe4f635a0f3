"""History, statistics, achievements and export of one learner (computed from their events)."""

from __future__ import annotations

import csv
import io
import json
from datetime import UTC, date, datetime, timedelta
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from fastapi.responses import Response
from pydantic_core import to_jsonable_python

from learnflow_common.problems import Problem
from learnflow_common.validation import LearnerId
from user_progress.adapters.actors import LEARNER_ACTOR
from user_progress.api.models import Achievements, History, Statistics
from user_progress.api.progress import Sidecar, learner_not_found
from user_progress.domain.calendar import today_in
from user_progress.domain.learner import LearnerRecord, LearnerState, replay
from user_progress.domain.reports import (
    EXPORT_COLUMNS,
    MAX_HISTORY_DAYS,
    Period,
    daily_history,
    export_rows,
    statistics,
)
from user_progress.domain.status import achievements_view, learner_status

router = APIRouter(tags=["reports"])
Learner = Annotated[LearnerId, Query()]


async def _load(sidecar: Any, learner_id: str) -> tuple[LearnerRecord, LearnerState]:
    raw = await sidecar.invoke_actor(LEARNER_ACTOR, learner_id, "GetRecord")
    if raw is None:
        raise learner_not_found(learner_id)
    record = LearnerRecord.from_dict(raw)
    return record, replay(record.learner_id, record.events.values())


@router.get("/history", response_model=History, response_model_by_alias=True, summary="Daily snapshots")
async def get_history(
    learner_id: Learner,
    sidecar: Sidecar,
    from_date: Annotated[
        date | None, Query(alias="from", description="first local date (default: 29 days ago)")
    ] = None,
    to_date: Annotated[date | None, Query(alias="to", description="last local date (default: today)")] = None,
) -> Any:
    record, state = await _load(sidecar, learner_id)
    end = to_date or today_in(state.timezone, datetime.now(UTC))
    start = from_date or end - timedelta(days=29)
    if start > end:
        raise Problem(
            422,
            "validation-error",
            "Request validation failed",
            "'from' is after 'to'",
            errors=[{"field": "from", "message": "must not be after 'to'"}],
        )
    if (end - start).days + 1 > MAX_HISTORY_DAYS:
        raise Problem(
            422,
            "validation-error",
            "Request validation failed",
            f"at most {MAX_HISTORY_DAYS} days per request",
            errors=[{"field": "from", "message": f"range longer than {MAX_HISTORY_DAYS} days"}],
        )
    days = daily_history(list(record.events.values()), start, end)
    return {"learner_id": learner_id, "timezone": state.timezone, "from_date": start, "to_date": end, "days": days}


@router.get("/statistics", response_model=Statistics, response_model_by_alias=True, summary="Statistics by period")
async def get_statistics(learner_id: Learner, sidecar: Sidecar, period: Annotated[Period, Query()] = "week") -> Any:
    record, state = await _load(sidecar, learner_id)
    return {"learner_id": learner_id, **statistics(state, list(record.events.values()), period, datetime.now(UTC))}


@router.get("/achievements", response_model=Achievements, summary="Unlocked achievements and progress to the rest")
async def get_achievements(learner_id: Learner, sidecar: Sidecar) -> Any:
    record, state = await _load(sidecar, learner_id)
    return achievements_view(record, state)


@router.get(
    "/export",
    summary="Export a learner's data",
    responses={200: {"content": {"application/json": {}, "text/csv": {}}}},
)
async def export(
    learner_id: Learner, sidecar: Sidecar, format: Annotated[Literal["json", "csv"], Query()] = "json"
) -> Response:
    record, state = await _load(sidecar, learner_id)
    rows = export_rows(list(record.events.values()))
    filename = f"learnflow-progress-{learner_id}.{format}"
    headers = {"Content-Disposition": f'attachment; filename="{filename}"'}
    if format == "csv":
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=EXPORT_COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)
        return Response(buffer.getvalue(), media_type="text/csv; charset=utf-8", headers=headers)
    document = {
        "learner_id": learner_id,
        "exported_at": datetime.now(UTC),
        "status": learner_status(record, state, datetime.now(UTC)),
        "lessons_assigned": record.lessons_assigned,
        "review_schedule": {name: topic.card.to_dict() for name, topic in state.topics.items()},
        "events": rows,
    }
    return Response(json.dumps(to_jsonable_python(document), indent=2), media_type="application/json", headers=headers)
