"""Events the Course Agent publishes on ``lesson-events`` (partition key: learner id)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar

from pydantic import ConfigDict, Field

from learnflow_common.events.base import EventData
from learnflow_common.validation import LearnerId, LessonId, TopicSlug
from learnflow_common.vocabulary import Difficulty


class LessonGeneratedV1(EventData):
    """A lesson was generated for a learner and stored."""

    EVENT_TYPE: ClassVar[str] = "learnflow.lesson.generated.v1"
    model_config = ConfigDict(extra="forbid", title="learnflow.lesson.generated.v1")

    lesson_id: LessonId
    learner_id: LearnerId
    topic: TopicSlug
    difficulty: Difficulty
    title: str
    rationale: str = Field(description="Why this topic and difficulty were chosen for the learner.")
    generator: str = Field(description="Which generator wrote the lesson (builtin, or the model used).")
    created_at: datetime
