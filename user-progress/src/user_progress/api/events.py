"""Subscription deliveries from the sidecar (declared in components/subscriptions.yaml)."""

from __future__ import annotations

from collections.abc import Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body

from learnflow_common.app import AppSettings, Sidecar
from learnflow_common.events import LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.subscriptions import Received, deliver_in_batches
from user_progress.adapters.actor_interface import ASSIGN_LESSON, RECORD_WEEK_XP
from user_progress.adapters.leaderboard import actor_id_of

router = APIRouter(prefix="/events", tags=["dapr"], include_in_schema=False)
Delivery = Annotated[dict[str, Any], Body()]


@router.post("/lesson-events")
async def on_lesson_event(body: Delivery, sidecar: Sidecar, settings: AppSettings) -> dict[str, Any]:
    """Tracks the lessons generated for a learner (bulk-subscribed: each learner's lessons of a
    delivery in one call; idempotent on lesson_id)."""

    async def assign(learner_id: str, batch: Sequence[Received[LessonGeneratedV1]]) -> None:
        await ASSIGN_LESSON.call(sidecar, learner_id, [received.delivery() for received in batch])

    return await deliver_in_batches(
        body, LessonGeneratedV1, lambda lesson: lesson.learner_id, assign, settings.max_body_bytes, sidecar.publish_raw
    )


@router.post("/progress-events")
async def on_progress_event(body: Delivery, sidecar: Sidecar, settings: AppSettings) -> dict[str, Any]:
    """Feeds the weekly leaderboard from this service's own progress events (bulk-subscribed): each
    shard actor of a week gets its events of the delivery in one call."""

    async def record(shard: str, batch: Sequence[Received[ProgressUpdatedV1]]) -> None:
        await RECORD_WEEK_XP.call(sidecar, shard, [received.delivery() for received in batch])

    return await deliver_in_batches(
        body, ProgressUpdatedV1, actor_id_of, record, settings.max_body_bytes, sidecar.publish_raw
    )
