"""Subscription deliveries from the sidecar (declared in components/subscriptions.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from course_agent import planning
from course_agent.adapters.actor_interface import APPLY_PROGRESS, FEED_ADD
from course_agent.adapters.variants import VariantJob, VariantWorker
from course_agent.feed_index import day_of
from learnflow_common.app import Sidecar
from learnflow_common.dapr.actor_methods import ActorDelivery
from learnflow_common.events import CloudEvent, LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.subscriptions import deliver, deliver_to_actor

router = APIRouter(prefix="/events", tags=["dapr"], include_in_schema=False)
Delivery = Annotated[dict[str, Any], Body()]


@router.post("/progress-events")
async def on_progress_event(body: Delivery, sidecar: Sidecar, request: Request) -> dict[str, str]:
    """Folds a learner's progress into the agent's own knowledge of them; progress that shows them
    struggling also asks the variant generator (when it runs) for new items of that topic level."""
    worker: VariantWorker | None = request.app.state.variant_worker

    async def apply(envelope: CloudEvent, event: ProgressUpdatedV1) -> None:
        delivery = ActorDelivery(event_id=envelope.id, data=event.model_dump(mode="json"))
        answer = await APPLY_PROGRESS.call(sidecar, event.learner_id, delivery)
        if answer.applied and worker is not None and (level := planning.variant_wanted(event)) is not None:
            worker.submit(VariantJob(*level, learner_id=event.learner_id), from_event=True)

    return await deliver(body, ProgressUpdatedV1, apply)


@router.post("/lesson-events")
async def on_lesson_event(body: Delivery, sidecar: Sidecar) -> dict[str, str]:
    """Adds a generated lesson to the feed behind GET /lessons: its UTC day's actor (idempotent on lesson_id)."""
    return await deliver_to_actor(body, sidecar, LessonGeneratedV1, FEED_ADD, lambda lesson: day_of(lesson.created_at))
