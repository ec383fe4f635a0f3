"""Request and response bodies of the public API (the OpenAPI contract).

The views the domain computes are declared where they are computed (``LearnerStatus`` and
``Achievements`` in ``domain/status.py``, ``DailySnapshot`` and ``Statistics`` in
``domain/reports.py``) and only re-exported here.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    StrictInt,
    ValidationInfo,
    field_validator,
)

from learnflow_common.curriculum import TOPIC_SLUGS
from learnflow_common.validation import LearnerId, LessonRef, SafeId, TopicSlug
from learnflow_common.vocabulary import GRADED_ACTIVITIES, Activity
from user_progress.domain.calendar import is_iana_zone
from user_progress.domain.events import ItemResult, LearningEvent
from user_progress.domain.reports import DailySnapshot, Statistics
from user_progress.domain.status import Achievements, LearnerStatus

#: How far ahead of the server's clock a client's completed_at may be (client clocks drift).
MAX_CLOCK_SKEW = timedelta(minutes=5)
#: The dates every parameter and event may name (history range, leaderboard week, completed_at):
#: older than any learner of this platform, and far enough from date.min/max that no range, week
#: or time zone arithmetic overflows (an OverflowError would be a 500).
EARLIEST_DATE, LATEST_DATE = date(2000, 1, 1), date(2999, 12, 31)
EARLIEST_EVENT = datetime.combine(EARLIEST_DATE, datetime.min.time(), UTC)
#: How many item results one event may carry (a quiz or a review set is a handful of items).
MAX_ITEMS = 50


class ItemOutcome(BaseModel):
    """How the learner did on one item of the activity: evidence for the Course Agent's student model."""

    model_config = ConfigDict(extra="forbid")

    item_id: SafeId = Field(description="The item (question or task) answered: a safe id")
    correct: StrictBool = Field(description="Whether the item was finally answered correctly")
    attempts: StrictInt = Field(default=1, ge=1, le=1000, description="Tries taken, the last one included")
    hints_used: StrictInt = Field(default=0, ge=0, le=1000)


class ProgressUpdate(BaseModel):
    """One learning event. ``event_id`` is the idempotency key. Numbers must be JSON integers:
    ``true`` is not 1 (pydantic's lax mode would take it), ``"80"`` is not 80."""

    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {
                    "event_id": "ada-2026-11-30-quiz-3",
                    "learner_id": "ada",
                    "activity": "quiz",
                    "topic": "loops",
                    "score": 85,
                    "duration_seconds": 420,
                    "hints_used": 1,
                    "completed_at": "2026-11-30T18:05:00+01:00",
                    "timezone": "Europe/Paris",
                    "items": [
                        {"item_id": "loops-for-range-1", "correct": True, "attempts": 1, "hints_used": 0},
                        {"item_id": "loops-while-2", "correct": True, "attempts": 2, "hints_used": 1},
                        {"item_id": "loops-break-1", "correct": False, "attempts": 3, "hints_used": 0},
                    ],
                },
                {
                    "event_id": "ada-2026-11-30-lesson-1",
                    "learner_id": "ada",
                    "activity": "lesson",
                    "topic": "loops",
                    "completed_at": "2026-11-30T17:40:00+01:00",
                    "lesson_id": "ada~0f5c2d7a9b6e4c1d8a3f5e7b9c1d3e5f",
                },
            ]
        },
    )

    event_id: SafeId = Field(description="Idempotency key: letters, digits and ._:@-, 1-128 characters")
    learner_id: LearnerId
    activity: Activity
    topic: TopicSlug
    score: StrictInt | None = Field(
        default=None,
        ge=0,
        le=100,
        validate_default=True,
        description="0-100; required for exercise, quiz and review. A lesson is not graded: a score sent "
        "with one is kept but earns no XP, is not averaged and reviews nothing.",
    )
    duration_seconds: StrictInt | None = Field(default=None, ge=0, le=24 * 3600)
    hints_used: StrictInt | None = Field(default=None, ge=0, le=1000)
    completed_at: AwareDatetime = Field(description="RFC 3339 with offset")
    timezone: str | None = Field(default=None, max_length=64, description="IANA time zone; remembered")
    lesson_id: LessonRef | None = Field(
        default=None, description="A lesson id from the Course Agent (`<learner id>~<32 hex>`) or another safe id"
    )
    items: list[ItemOutcome] | None = Field(
        default=None,
        max_length=MAX_ITEMS,
        description=f"Optional per-item results, in the order answered (at most {MAX_ITEMS}, each item once)",
    )

    @field_validator("timezone")
    @classmethod
    def _known_timezone(cls, value: str | None) -> str | None:
        if value is not None and not is_iana_zone(value):
            raise ValueError(f"unknown IANA time zone {value!r}")
        return value

    @field_validator("topic")
    @classmethod
    def _curriculum_topic(cls, value: str) -> str:
        if value not in TOPIC_SLUGS:
            raise ValueError(f"unknown topic {value!r}; valid topics: {', '.join(TOPIC_SLUGS)}")
        return value

    @field_validator("completed_at")
    @classmethod
    def _plausible_time(cls, value: datetime) -> datetime:
        if value > datetime.now(UTC) + MAX_CLOCK_SKEW:
            raise ValueError("completed_at is in the future")
        if value < EARLIEST_EVENT:
            raise ValueError(f"completed_at is before {EARLIEST_EVENT.date()}")
        return value

    @field_validator("score")
    @classmethod
    def _score_where_graded(cls, value: int | None, info: ValidationInfo) -> int | None:
        activity = info.data.get("activity")
        if value is None and activity in GRADED_ACTIVITIES:
            raise ValueError(f"score is required for activity '{activity}'")
        return value

    @field_validator("items")
    @classmethod
    def _each_item_once(cls, value: list[ItemOutcome] | None) -> list[ItemOutcome] | None:
        seen: set[str] = set()
        for item in value or ():
            if item.item_id in seen:
                raise ValueError(f"item {item.item_id!r} is listed twice; send one result per item")
            seen.add(item.item_id)
        return value

    def to_event(self) -> LearningEvent:
        items = tuple(ItemResult(**item.model_dump()) for item in self.items or ())
        return LearningEvent(**{**self.model_dump(exclude={"items"}), "items": items})


class History(BaseModel):
    learner_id: str
    timezone: str
    from_date: date = Field(serialization_alias="from")
    to_date: date = Field(serialization_alias="to")
    days: list[DailySnapshot]
    next_cursor: date | None = Field(
        default=None, description="more days follow: pass this as `from` (same `to`, `limit`) for the next page"
    )


class LeaderboardEntry(BaseModel):
    rank: int
    display_name: str = Field(description="A stable pseudonym (learner ids are never shown to other learners)")
    xp: int
    you: bool = Field(description="Whether this entry is the caller's own")


class Leaderboard(BaseModel):
    week: str
    learners: int = Field(description="How many learners earned XP this week")
    entries: list[LeaderboardEntry]
    learner: LeaderboardEntry | None = Field(
        default=None,
        description="The rank of the learner asked for (by default the calling learner), if they earned XP this week",
    )


__all__ = [
    "Achievements",
    "DailySnapshot",
    "History",
    "Leaderboard",
    "LeaderboardEntry",
    "LearnerStatus",
    "ProgressUpdate",
    "Statistics",
]
