"""POST /generate-lesson, GET /lessons, GET /lessons/{lesson_id}."""

from __future__ import annotations

import re
from datetime import datetime
from typing import Annotated, Any
from urllib.parse import quote

from fastapi import APIRouter, Depends, Path, Query, Response
from fastapi.responses import JSONResponse
from pydantic import BaseModel, ConfigDict, Field, field_validator

from course_agent.adapters.actor_interface import LearnerPlan, LessonQuery, LessonRequest
from course_agent.adapters.feed import decode_cursor, feed_page, import_legacy_feed
from course_agent.domain.lesson import Lesson
from learnflow_common.app import Sidecar, get_settings
from learnflow_common.auth import ADMIN_SCOPE, Caller
from learnflow_common.curriculum import TOPIC_SLUGS
from learnflow_common.problems import Problem, invalid_field
from learnflow_common.ratelimit import LimitedCaller
from learnflow_common.settings import DaprAppSettings
from learnflow_common.validation import LearnerId, SafeId, owner_of_lesson
from learnflow_common.vocabulary import Difficulty

router = APIRouter(tags=["lessons"])
Settings = Annotated[DaprAppSettings, Depends(get_settings)]


def unknown_topic(field: str, value: str) -> Problem:
    return invalid_field(
        field,
        f"unknown topic {value!r}",
        slug="unknown-topic",
        title="Unknown topic",
        detail=f"{value!r} is not a curriculum topic. Valid topics: {', '.join(TOPIC_SLUGS)}",
        valid_topics=list(TOPIC_SLUGS),
    )


class GenerateLessonRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={
            "examples": [
                {"learner_id": "ada"},
                {"learner_id": "ada", "topic": "loops", "difficulty": "intermediate", "request_id": "ada-tab-7-r1"},
            ]
        },
    )

    learner_id: LearnerId
    topic: str | None = Field(default=None, description="Curriculum topic slug; chosen for the learner if absent")
    difficulty: Difficulty | None = Field(default=None, description="Follows the learner's mastery if absent")
    request_id: SafeId | None = Field(
        default=None, description="Idempotency key (letters, digits and ._:@-, 1-128 characters): same id, same lesson"
    )

    @field_validator("topic")
    @classmethod
    def _strip(cls, value: str | None) -> str | None:
        return value.strip() if value is not None else None


class LessonSummary(BaseModel):
    lesson_id: str
    learner_id: str
    topic: str
    difficulty: Difficulty
    title: str
    rationale: str
    generator: str
    created_at: datetime


class LessonPage(BaseModel):
    lessons: list[LessonSummary] = Field(description="Newest first")
    next_cursor: str | None = Field(
        description="Pass as `cursor` for the next page (older lessons); null on the last page. A filtered page "
        "may hold fewer than `limit` lessons (each page scans a bounded part of the index) and still have one."
    )


#: The ``Location`` header of a generated lesson, in OpenAPI.
LESSON_LOCATION = {
    "Location": {"description": "The lesson's URL (GET /lessons/{lesson_id})", "schema": {"type": "string"}}
}


@router.post(
    "/generate-lesson",
    status_code=201,
    response_model=Lesson,
    summary="Generate a personalised lesson",
    responses={
        201: {"description": "A new lesson", "headers": LESSON_LOCATION},
        200: {
            "model": Lesson,
            "description": "The lesson this `request_id` already made (an idempotent replay), unchanged",
            "headers": LESSON_LOCATION,
        },
        429: {"description": "too many lessons asked for by this caller (Retry-After)"},
    },
)
async def generate_lesson(
    body: GenerateLessonRequest, caller: LimitedCaller, sidecar: Sidecar, response: Response
) -> Any:
    """201 with ``Location`` for a new lesson; with a ``request_id`` already used by this learner, 200
    and that same lesson (a client retrying after a lost answer gets what it asked for once)."""
    caller.require_learner(body.learner_id)
    if body.topic is not None and body.topic not in TOPIC_SLUGS:
        raise unknown_topic("topic", body.topic)
    request = LessonRequest(topic=body.topic, difficulty=body.difficulty, request_id=body.request_id)
    answer = await LearnerPlan(sidecar, body.learner_id).generate_lesson(request)
    response.headers["Location"] = f"/lessons/{quote(answer.lesson.lesson_id, safe='')}"
    if answer.replayed:
        response.status_code = 200
    return answer.lesson


@router.get("/lessons", response_model=LessonPage, summary="Lessons, newest first")
async def list_lessons(
    caller: Caller,
    sidecar: Sidecar,
    settings: Settings,
    learner_id: Annotated[LearnerId | None, Query()] = None,
    topic: Annotated[str | None, Query()] = None,
    difficulty: Annotated[Difficulty | None, Query()] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 20,
    cursor: Annotated[str | None, Query(max_length=256)] = None,
) -> Any:
    """With ``learner_id``: from that learner's own index (immediately consistent). Without: from the
    lesson feed the agent builds from ``lesson-events`` (it trails generation by the delivery time).
    Both are keyset-paged: lessons generated between two pages never shift them. The feed shows every
    learner's lessons, so it needs the admin scope."""
    if learner_id is not None:
        caller.require_learner(learner_id)
    else:
        caller.require_scope(ADMIN_SCOPE, "The lesson feed of every learner (GET /lessons without learner_id)")
    if topic is not None and topic not in TOPIC_SLUGS:
        raise unknown_topic("topic", topic)
    if learner_id is not None:
        if cursor is not None and LEARNER_CURSOR.fullmatch(cursor) is None:
            raise _bad_cursor()
        query = LessonQuery(topic=topic, difficulty=difficulty, limit=limit, cursor=int(cursor) if cursor else None)
        page = await LearnerPlan(sidecar, learner_id).lessons(query)
        if page.unknown_cursor:
            raise _bad_cursor()
        next_cursor = str(page.next_cursor) if page.next_cursor is not None else None
        return {"lessons": page.items, "next_cursor": next_cursor}
    position = decode_cursor(cursor) if cursor is not None else None
    if cursor is not None and position is None:
        raise _bad_cursor()
    await import_legacy_feed(sidecar, settings.state_store)
    return await feed_page(sidecar, limit, position, topic, difficulty)


#: A learner listing's cursor: the seq of the last lesson listed (course_agent.layout); the page
#: after it lists lower seqs, so lessons generated meanwhile never shift it.
LEARNER_CURSOR = re.compile(r"[1-9][0-9]{0,9}")


def _bad_cursor() -> Problem:
    return invalid_field(
        "cursor",
        "unknown or expired cursor",
        slug="invalid-cursor",
        title="Invalid cursor",
        detail="cursor does not come from this listing",
    )


@router.get(
    "/lessons/{lesson_id}", response_model=Lesson, summary="One lesson", responses={404: {"description": "Unknown"}}
)
async def get_lesson(lesson_id: Annotated[str, Path(max_length=300)], caller: Caller, sidecar: Sidecar) -> Any:
    learner = owner_of_lesson(lesson_id)
    if learner is not None:
        caller.require_learner(learner)
    lesson = await LearnerPlan(sidecar, learner).lesson(lesson_id) if learner else None
    if lesson is None:
        raise Problem(404, "lesson-not-found", "Lesson not found", f"No lesson {lesson_id!r}.")
    return JSONResponse(lesson)
