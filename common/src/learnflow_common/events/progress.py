"""Events the User Progress service publishes on ``progress-events`` (partition key: learner id)."""

from __future__ import annotations

from datetime import datetime
from typing import ClassVar, Literal

from pydantic import BaseModel, ConfigDict, Field

Activity = Literal["lesson", "exercise", "quiz", "review"]


class ProgressUpdatedV1(BaseModel):
    """A learning event was recorded for a learner (published once per accepted ``event_id``)."""

    EVENT_TYPE: ClassVar[str] = "learnflow.progress.updated.v1"
    model_config = ConfigDict(extra="forbid", title="learnflow.progress.updated.v1")

    learner_id: str = Field(min_length=1, max_length=128)
    source_event_id: str = Field(
        min_length=1, max_length=128, description="The event_id given to POST /update-progress."
    )
    activity: Activity
    topic: str = Field(min_length=1, max_length=64, description="Curriculum topic slug.")
    score: int | None = Field(default=None, ge=0, le=100)
    duration_seconds: int | None = Field(default=None, ge=0)
    completed_at: datetime
    events_recorded: int = Field(ge=1, description="How many learning events the learner has recorded so far.")
