"""The lesson feed: every generated lesson's summary, as plain state documents for GET /lessons
without a learner filter. Built from ``lesson-events`` (idempotent upsert keyed by lesson_id)."""

from __future__ import annotations

from typing import Any

from learnflow_common.dapr import DaprSidecar
from learnflow_common.events import LessonGeneratedV1

FEED_KIND = "lesson-feed"


def feed_key(lesson_id: str) -> str:
    return f"{FEED_KIND}:{lesson_id}"


async def record_in_feed(sidecar: DaprSidecar, store: str, lesson: LessonGeneratedV1) -> None:
    document: dict[str, Any] = {"kind": FEED_KIND, **lesson.model_dump(mode="json")}
    await sidecar.save_state(store, feed_key(lesson.lesson_id), document)
