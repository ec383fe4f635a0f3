"""POST /update-progress and GET /status."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from fastapi import APIRouter, Depends, Query
from pydantic import AwareDatetime, BaseModel, ConfigDict, Field, ValidationInfo, field_validator

from learnflow_common.app import get_sidecar
from learnflow_common.dapr import DaprSidecar
from learnflow_common.problems import Problem
from learnflow_common.validation import LearnerId, TopicSlug
from user_progress.adapters.actors import ACTOR_TYPE
from user_progress.domain.progress import Activity, LearningEvent

router = APIRouter(tags=["progress"])


class ProgressUpdate(BaseModel):
    """One learning event. ``event_id`` is the idempotency key."""

    model_config = ConfigDict(extra="forbid")

    event_id: str = Field(min_length=1, max_length=128)
    learner_id: LearnerId
    activity: Activity
    topic: TopicSlug
    score: int | None = Field(default=None, ge=0, le=100, validate_default=True)
    duration_seconds: int | None = Field(default=None, ge=0, le=24 * 3600)
    hints_used: int | None = Field(default=None, ge=0, le=1000)
    completed_at: AwareDatetime
    timezone: str | None = Field(default=None, max_length=64, description="IANA time zone name")
    lesson_id: str | None = Field(default=None, max_length=128)

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is None:
            return value
        try:
            ZoneInfo(value)
        except (ZoneInfoNotFoundError, ValueError):
            raise ValueError(f"unknown IANA time zone {value!r}") from None
        return value

    @field_validator("score")
    @classmethod
    def _score_where_graded(cls, value: int | None, info: ValidationInfo) -> int | None:
        activity = info.data.get("activity")
        if value is None and activity in ("exercise", "quiz"):
            raise ValueError(f"score is required for activity '{activity}'")
        return value

    def to_event(self) -> LearningEvent:
        return LearningEvent(**self.model_dump())


class LearnerStatus(BaseModel):
    learner_id: str
    events_recorded: int
    activity_counts: dict[str, int]
    last_activity_at: datetime | None


@router.post("/update-progress", response_model=LearnerStatus, summary="Record one learning event")
async def update_progress(update: ProgressUpdate, sidecar: Annotated[DaprSidecar, Depends(get_sidecar)]) -> Any:
    result = await sidecar.invoke_actor(ACTOR_TYPE, update.learner_id, "RecordEvent", update.to_event().to_dict())
    if result["outcome"] == "conflict":
        raise Problem(
            409,
            "event-id-conflict",
            "event_id already used",
            f"event_id {update.event_id!r} was already recorded with a different body.",
            event_id=update.event_id,
        )
    return result["status"]


@router.get("/status", response_model=LearnerStatus, summary="Where a learner stands")
async def get_status(
    learner_id: Annotated[LearnerId, Query()], sidecar: Annotated[DaprSidecar, Depends(get_sidecar)]
) -> Any:
    status = await sidecar.invoke_actor(ACTOR_TYPE, learner_id, "GetStatus")
    if status is None:
        raise Problem(404, "learner-not-found", "Learner not found", f"No progress recorded for {learner_id!r}.")
    return status
