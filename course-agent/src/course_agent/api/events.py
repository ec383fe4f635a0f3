"""Subscription deliveries from the sidecar (declared in components/subscriptions.yaml)."""

from __future__ import annotations

import asyncio
from collections.abc import Mapping, Sequence
from typing import Annotated, Any

from fastapi import APIRouter, Body, Request

from course_agent import planning
from course_agent.adapters.actor_interface import APPLY_PROGRESS, FEED_ADD
from course_agent.adapters.knowledge import fold_stored
from course_agent.adapters.variants import VariantJob, VariantWorker
from course_agent.feed_index import day_of
from learnflow_common.app import AppSettings, Sidecar
from learnflow_common.events import LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.subscriptions import Received, deliver_in_batches, deliver_together

router = APIRouter(prefix="/events", tags=["dapr"], include_in_schema=False)
Delivery = Annotated[dict[str, Any], Body()]


@router.post("/progress-events")
async def on_progress_event(
    body: Delivery, sidecar: Sidecar, settings: AppSettings, request: Request
) -> dict[str, Any]:
    """Folds the learners' progress into the agent's own knowledge of them (bulk-subscribed: one
    read and one save for all the learners of a delivery, ``adapters/knowledge``; a learner without
    knowledge yet through their actor); progress that shows them struggling also asks the variant
    generator (when it runs) for new items of that topic level."""
    worker: VariantWorker | None = request.app.state.variant_worker

    async def apply(
        batches: Mapping[str, Sequence[Received[ProgressUpdatedV1]]],
    ) -> dict[str, BaseException | None]:
        events = {
            learner: [(received.envelope.id, received.data) for received in batch] for learner, batch in batches.items()
        }
        applied, absent = await fold_stored(sidecar, settings.state_store, events)
        outcomes: dict[str, BaseException | None] = dict.fromkeys(applied)

        async def by_actor(learner_id: str) -> None:
            try:
                answers = await APPLY_PROGRESS.call(
                    sidecar, learner_id, [received.delivery() for received in batches[learner_id]]
                )
            except Exception as error:  # answered for this learner's events alone (deliver_together)
                outcomes[learner_id] = error
            else:
                applied[learner_id], outcomes[learner_id] = [answer.applied for answer in answers], None

        await asyncio.gather(*(by_actor(learner_id) for learner_id in absent))
        if worker is not None:
            for learner_id, flags in applied.items():
                for received, flag in zip(batches[learner_id], flags, strict=True):
                    if flag and (level := planning.variant_wanted(received.data)) is not None:
                        worker.submit(VariantJob(*level, learner_id=learner_id), from_event=True)
        return outcomes

    return await deliver_together(
        body, ProgressUpdatedV1, lambda event: event.learner_id, apply, settings.max_body_bytes, sidecar.publish_raw
    )


@router.post("/lesson-events")
async def on_lesson_event(body: Delivery, sidecar: Sidecar, settings: AppSettings) -> dict[str, Any]:
    """Adds generated lessons to the feed behind GET /lessons (bulk-subscribed): each UTC day's actor
    gets its lessons of the delivery in one call (idempotent on lesson_id)."""

    async def add(day: str, batch: Sequence[Received[LessonGeneratedV1]]) -> None:
        await FEED_ADD.call(sidecar, day, [received.delivery() for received in batch])

    return await deliver_in_batches(
        body,
        LessonGeneratedV1,
        lambda lesson: day_of(lesson.created_at),
        add,
        settings.max_body_bytes,
        sidecar.publish_raw,
    )
