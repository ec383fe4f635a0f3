"""Event contracts: Kafka topics, the CloudEvent envelope, and the data model of each event type.

Every event LearnFlow publishes is a CloudEvents 1.0 JSON envelope whose ``type`` names the
contract and its version (``learnflow.progress.updated.v1``) and whose ``data`` validates against
``schemas/<type>.json``. A breaking change gets a new ``.vN`` type; the old one keeps its schema.
"""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field

from learnflow_common.events.base import EventData
from learnflow_common.events.lesson import LessonGeneratedV1
from learnflow_common.events.progress import AchievementUnlockedV1, ItemResultV1, ProgressUpdatedV1, StreakUpdatedV1
from learnflow_common.validation import SafeId

PROGRESS_EVENTS_TOPIC = "progress-events"
LESSON_EVENTS_TOPIC = "lesson-events"
DEAD_LETTER_SUFFIX = "-dlq"


def dead_letter_topic(topic: str) -> str:
    return f"{topic}{DEAD_LETTER_SUFFIX}"


#: Every topic the platform uses, created up front (auto-creation would give them default settings).
KAFKA_TOPICS: tuple[str, ...] = (
    PROGRESS_EVENTS_TOPIC,
    LESSON_EVENTS_TOPIC,
    dead_letter_topic(PROGRESS_EVENTS_TOPIC),
    dead_letter_topic(LESSON_EVENTS_TOPIC),
)

#: Event type -> the model of its ``data``. The JSON Schema files are generated from these.
EVENT_TYPES: dict[str, type[EventData]] = {
    ProgressUpdatedV1.EVENT_TYPE: ProgressUpdatedV1,
    AchievementUnlockedV1.EVENT_TYPE: AchievementUnlockedV1,
    StreakUpdatedV1.EVENT_TYPE: StreakUpdatedV1,
    LessonGeneratedV1.EVENT_TYPE: LessonGeneratedV1,
}

#: Event type -> the app that owns it: the only CloudEvent ``source`` consumers accept for it (the
#: pub/sub topic scopes of components/pubsub.yaml also let only that app publish to its topic).
USER_PROGRESS = "user-progress"
COURSE_AGENT = "course-agent"
EVENT_OWNERS: dict[str, str] = {
    ProgressUpdatedV1.EVENT_TYPE: USER_PROGRESS,
    AchievementUnlockedV1.EVENT_TYPE: USER_PROGRESS,
    StreakUpdatedV1.EVENT_TYPE: USER_PROGRESS,
    LessonGeneratedV1.EVENT_TYPE: COURSE_AGENT,
}

#: Event type -> the topic it is published to (keyed by learner id, so one learner's events keep
#: their order on one partition).
EVENT_TOPICS: dict[str, str] = {
    ProgressUpdatedV1.EVENT_TYPE: PROGRESS_EVENTS_TOPIC,
    AchievementUnlockedV1.EVENT_TYPE: PROGRESS_EVENTS_TOPIC,
    StreakUpdatedV1.EVENT_TYPE: PROGRESS_EVENTS_TOPIC,
    LessonGeneratedV1.EVENT_TYPE: LESSON_EVENTS_TOPIC,
}

SCHEMA_BASE_URI = "https://learnflow.dev/schemas/events/"


def schema_uri(event_type: str) -> str:
    return f"{SCHEMA_BASE_URI}{event_type}.json"


class CloudEvent(BaseModel):
    """A CloudEvents 1.0 structured-mode envelope (what Dapr writes to Kafka, plus its extensions)."""

    model_config = ConfigDict(extra="allow")

    specversion: str = "1.0"
    id: SafeId = Field(description="Stable per event: consumers deduplicate on it (and store it).")
    source: str = Field(description="The app id of the publisher.")
    type: str
    subject: str | None = Field(default=None, description="The learner id the event is about.")
    time: datetime = Field(default_factory=lambda: datetime.now(UTC))
    datacontenttype: str = "application/json"
    dataschema: str | None = None
    data: dict[str, Any]

    @classmethod
    def wrap(cls, *, event_id: str, source: str, payload: EventData, subject: str | None) -> CloudEvent:
        event_type = payload.EVENT_TYPE
        return cls(
            id=event_id,
            source=source,
            type=event_type,
            subject=subject,
            dataschema=schema_uri(event_type),
            data=payload.model_dump(mode="json"),
        )


__all__ = [
    "DEAD_LETTER_SUFFIX",
    "EVENT_OWNERS",
    "EVENT_TOPICS",
    "EVENT_TYPES",
    "KAFKA_TOPICS",
    "LESSON_EVENTS_TOPIC",
    "PROGRESS_EVENTS_TOPIC",
    "AchievementUnlockedV1",
    "CloudEvent",
    "EventData",
    "ItemResultV1",
    "LessonGeneratedV1",
    "ProgressUpdatedV1",
    "StreakUpdatedV1",
    "dead_letter_topic",
    "schema_uri",
]
