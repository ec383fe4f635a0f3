"""The actors of the Course Agent as typed calls: every method, its request and its answer, declared once.

The routers and consumers call :class:`LearnerPlan`, :class:`LessonFeedDay` and
:class:`LessonFeedCatalog` (or call a method from ``deliver_in_batches``); the actors in
``adapters/actors.py`` and ``adapters/feed.py`` read their requests and write their answers through
the same :class:`ActorMethod` values.
"""

from __future__ import annotations

from datetime import datetime
from typing import Annotated, Any

from pydantic import BaseModel

from course_agent.domain.knowledge import LearnerKnowledge
from course_agent.domain.lesson import Lesson
from learnflow_common.dapr.actor_methods import ActorDelivery, ActorInvoker, ActorMethod, DictForm
from learnflow_common.vocabulary import Difficulty

PLAN_ACTOR = "LearnerPlanActor"
FEED_ACTOR = "LessonFeedActor"
CATALOG_ACTOR = "LessonFeedCatalogActor"
CATALOG_ID = "all"

Knowledge = Annotated[LearnerKnowledge, DictForm(LearnerKnowledge.from_dict)]
#: A place in the feed: (created_at, lesson_id); items strictly older come after it.
Position = tuple[datetime, str]
#: A lesson as GET /lessons lists it (``layout.SUMMARY_FIELDS``).
Summary = dict[str, Any]


class Applied(BaseModel):
    """Whether ApplyProgress changed the learner's knowledge (not for a redelivered event)."""

    applied: bool


class LessonRequest(BaseModel):
    """Each field None: chosen for the learner. ``request_id`` names the lesson for ever."""

    topic: str | None = None
    difficulty: Difficulty | None = None
    request_id: str | None = None


class GeneratedLesson(BaseModel):
    """The lesson; ``replayed`` when its ``request_id`` had already made it."""

    lesson: Lesson
    replayed: bool


class LessonQuery(BaseModel):
    """One page of a learner's lessons, newest first; ``cursor``: the seq the page lists below."""

    limit: int
    cursor: int | None = None
    topic: str | None = None
    difficulty: Difficulty | None = None


class LessonList(BaseModel):
    """``unknown_cursor``: the cursor is above the learner's lessons, so not one of ours."""

    items: list[Summary]
    next_cursor: int | None = None
    unknown_cursor: bool = False


class Added(BaseModel):
    """Whether Add put the lesson in its day (not for a redelivery)."""

    added: bool


class FeedQuery(BaseModel):
    """A day's part of a feed page: below ``before``, at most ``limit`` items, reading at most ``max_parts``."""

    before: Position | None = None
    limit: int
    topic: str | None = None
    difficulty: Difficulty | None = None
    max_parts: int


class FeedDayPage(BaseModel):
    """``resume``: where the page stopped inside the day (full, or out of budget); None when the
    day is done."""

    items: list[Summary]
    resume: Position | None = None
    parts_read: int


class DaysQuery(BaseModel):
    """``count`` days with lessons, newest first, from ``through`` (a ``YYYY-MM-DD``; None: the newest) back."""

    through: str | None = None
    count: int


#: A batch of one learner's progress events (oldest first), answered per event.
APPLY_PROGRESS: ActorMethod[list[ActorDelivery], list[Applied]] = ActorMethod(
    PLAN_ACTOR, "ApplyProgress", list[ActorDelivery], list[Applied]
)
GET_KNOWLEDGE: ActorMethod[None, LearnerKnowledge | None] = ActorMethod(
    PLAN_ACTOR, "GetKnowledge", None, Knowledge | None
)
GENERATE_LESSON: ActorMethod[LessonRequest, GeneratedLesson] = ActorMethod(
    PLAN_ACTOR, "GenerateLesson", LessonRequest, GeneratedLesson
)
#: The stored document as it is (GET /lessons/{lesson_id} answers it unchanged).
GET_LESSON: ActorMethod[str, dict[str, Any] | None] = ActorMethod(PLAN_ACTOR, "GetLesson", str, dict[str, Any] | None)
LIST_LESSONS: ActorMethod[LessonQuery, LessonList] = ActorMethod(PLAN_ACTOR, "ListLessons", LessonQuery, LessonList)
#: A batch of one day's lessons (in the order delivered), answered per lesson.
FEED_ADD: ActorMethod[list[ActorDelivery], list[Added]] = ActorMethod(
    FEED_ACTOR, "Add", list[ActorDelivery], list[Added]
)
FEED_PAGE: ActorMethod[FeedQuery, FeedDayPage] = ActorMethod(FEED_ACTOR, "Page", FeedQuery, FeedDayPage)
CATALOG_ADD_DAY: ActorMethod[str, None] = ActorMethod(CATALOG_ACTOR, "AddDay", str, None)
CATALOG_DAYS: ActorMethod[DaysQuery, list[str]] = ActorMethod(CATALOG_ACTOR, "Days", DaysQuery, list[str])


class LearnerPlan:
    """One learner's ``LearnerPlanActor``."""

    def __init__(self, sidecar: ActorInvoker, learner_id: str) -> None:
        self.sidecar, self.learner_id = sidecar, learner_id

    async def knowledge(self) -> LearnerKnowledge | None:
        return await GET_KNOWLEDGE.call(self.sidecar, self.learner_id, None)

    async def generate_lesson(self, request: LessonRequest) -> GeneratedLesson:
        return await GENERATE_LESSON.call(self.sidecar, self.learner_id, request)

    async def lesson(self, lesson_id: str) -> dict[str, Any] | None:
        return await GET_LESSON.call(self.sidecar, self.learner_id, lesson_id)

    async def lessons(self, query: LessonQuery) -> LessonList:
        return await LIST_LESSONS.call(self.sidecar, self.learner_id, query)


class LessonFeedDay:
    """The ``LessonFeedActor`` of one UTC day (``YYYY-MM-DD``)."""

    def __init__(self, sidecar: ActorInvoker, day: str) -> None:
        self.sidecar, self.day = sidecar, day

    async def add(self, summary: Summary) -> bool:
        """Adds a lesson generated that day (idempotent on lesson_id); whether it was new."""
        [answer] = await FEED_ADD.call(self.sidecar, self.day, [ActorDelivery(event_id="", data=summary)])
        return answer.added

    async def page(self, query: FeedQuery) -> FeedDayPage:
        return await FEED_PAGE.call(self.sidecar, self.day, query)


class LessonFeedCatalog:
    """The ``LessonFeedCatalogActor``: which days have lessons."""

    def __init__(self, sidecar: ActorInvoker) -> None:
        self.sidecar = sidecar

    async def add_day(self, day: str) -> None:
        await CATALOG_ADD_DAY.call(self.sidecar, CATALOG_ID, day)

    async def days(self, through: str | None, count: int) -> list[str]:
        return await CATALOG_DAYS.call(self.sidecar, CATALOG_ID, DaysQuery(through=through, count=count))
