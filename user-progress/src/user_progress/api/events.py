"""Subscription deliveries from the sidecar (declared in components/subscriptions.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from learnflow_common.app import Sidecar
from learnflow_common.events import LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.subscriptions import deliver_to_actor
from user_progress.adapters.actor_interface import ASSIGN_LESSON, RECORD_WEEK_XP
from user_progress.adapters.leaderboard import actor_id_of

router = APIRouter(prefix="/events", tags=["dapr"], include_in_schema=False)
Delivery = Annotated[dict[str, Any], Body()]


@router.post("/lesson-events")
async def on_lesson_event(body: Delivery, sidecar: Sidecar) -> dict[str, str]:
    """Tracks the lessons generated for a learner (idempotent on lesson_id)."""
    return await deliver_to_actor(body, sidecar, LessonGeneratedV1, ASSIGN_LESSON, "learner_id")


@router.post("/progress-events")
async def on_progress_event(body: Delivery, sidecar: Sidecar) -> dict[str, str]:
    """Feeds the weekly leaderboard from this service's own progress events, each to the shard actor
    of its week that holds its learner."""
    return await deliver_to_actor(body, sidecar, ProgressUpdatedV1, RECORD_WEEK_XP, actor_id_of)
