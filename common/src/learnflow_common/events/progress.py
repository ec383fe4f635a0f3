"""Events the User Progress service publishes on ``progress-events`` (partition key: learner id)."""

from __future__ import annotations

from datetime import date, datetime
from typing import ClassVar

from pydantic import BaseModel, ConfigDict, Field

from learnflow_common.events.base import EventData
from learnflow_common.validation import IsoWeek, LearnerId, LessonRef, SafeId, TopicSlug
from learnflow_common.vocabulary import Activity, MasteryLevel


class ItemResultV1(BaseModel):
    """How the learner did on one item of the activity (a question or a task)."""

    model_config = ConfigDict(extra="forbid", title="ItemResult")

    item_id: SafeId
    correct: bool = Field(description="Whether the item was finally answered correctly.")
    attempts: int = Field(ge=1, description="Tries taken, the last one included.")
    hints_used: int = Field(ge=0)


class ProgressUpdatedV1(EventData):
    """A learning event was recorded for a learner (published once per accepted ``event_id``)."""

    EVENT_TYPE: ClassVar[str] = "learnflow.progress.updated.v1"
    model_config = ConfigDict(extra="forbid", title="learnflow.progress.updated.v1")

    learner_id: LearnerId
    source_event_id: SafeId = Field(description="The event_id given to POST /update-progress.")
    activity: Activity
    topic: TopicSlug = Field(description="Curriculum topic slug.")
    score: int | None = Field(default=None, ge=0, le=100)
    duration_seconds: int | None = Field(default=None, ge=0)
    hints_used: int | None = Field(default=None, ge=0)
    lesson_id: LessonRef | None = None
    items: list[ItemResultV1] | None = Field(
        default=None,
        # absent, not null, when there are none: the data of an event without items is what it was
        # before items existed (consumers that forbid unknown fields still read it)
        exclude_if=lambda items: items is None,
        description="Per-item results in the order answered, when the client sent them (absent otherwise).",
    )
    completed_at: datetime
    events_recorded: int = Field(ge=1, description="How many learning events the learner has recorded so far.")
    xp_earned: int = Field(ge=0, description="XP this event earned.")
    xp_total: int = Field(ge=0)
    level: int = Field(ge=1)
    topic_mastery: int = Field(ge=0, le=100, description="Mastery of `topic` after this event.")
    topic_level: MasteryLevel
    topic_next_review_at: datetime | None = Field(
        description="When the topic is next due for review (FSRS); null while it has no graded attempt (lessons only)."
    )
    week: IsoWeek = Field(description="UTC ISO week of completed_at (leaderboard period).")
    week_xp: int = Field(ge=0, description="The learner's XP in `week`, this event included.")


class AchievementUnlockedV1(EventData):
    """A learner unlocked an achievement (published exactly once per learner and achievement)."""

    EVENT_TYPE: ClassVar[str] = "learnflow.achievement.unlocked.v1"
    model_config = ConfigDict(extra="forbid", title="learnflow.achievement.unlocked.v1")

    learner_id: LearnerId
    achievement_id: str
    title: str
    description: str
    unlocked_at: datetime = Field(description="completed_at of the event that crossed the threshold.")
    source_event_id: SafeId = Field(description="The event_id whose recording unlocked it.")


class StreakUpdatedV1(EventData):
    """A learner's current or longest streak changed (days counted in the learner's time zone)."""

    EVENT_TYPE: ClassVar[str] = "learnflow.streak.updated.v1"
    model_config = ConfigDict(extra="forbid", title="learnflow.streak.updated.v1")

    learner_id: LearnerId
    current: int = Field(ge=0, description="Streak through the last active day.")
    longest: int = Field(ge=0)
    previous_current: int = Field(ge=0)
    previous_longest: int = Field(ge=0)
    freezes_available: int = Field(ge=0)
    last_active_date: date | None
    timezone: str
    source_event_id: SafeId
