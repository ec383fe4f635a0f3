"""Subscription deliveries from the sidecar (declared in components/subscriptions.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body

from course_agent.adapters.actor_interface import APPLY_PROGRESS, FEED_ADD
from course_agent.feed_index import day_of
from learnflow_common.app import Sidecar
from learnflow_common.events import LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.subscriptions import deliver_to_actor

router = APIRouter(prefix="/events", tags=["dapr"], include_in_schema=False)
Delivery = Annotated[dict[str, Any], Body()]


@router.post("/progress-events")
async def on_progress_event(body: Delivery, sidecar: Sidecar) -> dict[str, str]:
    """Folds a learner's progress into the agent's own knowledge of them."""
    return await deliver_to_actor(body, sidecar, ProgressUpdatedV1, APPLY_PROGRESS, "learner_id")


@router.post("/lesson-events")
async def on_lesson_event(body: Delivery, sidecar: Sidecar) -> dict[str, str]:
    """Adds a generated lesson to the feed behind GET /lessons: its UTC day's actor (idempotent on lesson_id)."""
    return await deliver_to_actor(body, sidecar, LessonGeneratedV1, FEED_ADD, lambda lesson: day_of(lesson.created_at))
