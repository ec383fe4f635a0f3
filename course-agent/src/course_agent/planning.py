"""What the learner's plan actor decides, as pure functions: the lesson id a request names, what the
learner's next lesson is about, the lesson itself (composed from the bank: the built-in content and the
accepted variants the actor loads for the chosen topic), what User Progress's status says when the
agent knows nothing of the learner yet, which topic level a progress event asks new variants for, and
the ``lesson.generated`` event of a lesson.

``LearnerPlanActor`` (``adapters/actors.py``) loads values, calls these, and saves what they return.
"""

from __future__ import annotations

import uuid
import zlib
from datetime import datetime
from typing import Any

from course_agent.content import curriculum
from course_agent.domain.curriculum import Curriculum
from course_agent.domain.generator import WEAK_SCORE, Choice, choose, compose
from course_agent.domain.knowledge import LearnerKnowledge, from_status
from course_agent.domain.lesson import Lesson
from course_agent.domain.selection import item_places
from course_agent.layout import Meta, planned_topics
from learnflow_common.events import CloudEvent, LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.validation import LESSON_ID_SEPARATOR
from learnflow_common.vocabulary import LEARNING, PROFICIENT, Difficulty

NAMESPACE = uuid.UUID("0b7e3c0e-4a55-4f7a-9a3e-7d2f1c9e5b21")
#: Why a lesson starts from the beginning when User Progress cannot be asked.
PROGRESS_UNREACHABLE = "learner progress unavailable: starting from the beginning"


def lesson_id_for(learner_id: str, request_id: str | None) -> str:
    """A request_id names its lesson for ever (idempotency without a map); without one, a fresh id."""
    token = uuid.uuid5(NAMESPACE, f"{learner_id}/{request_id}") if request_id else uuid.uuid4()
    return f"{learner_id}{LESSON_ID_SEPARATOR}{token.hex}"


def knowledge_from_progress(status_code: int, body: Any) -> tuple[LearnerKnowledge | None, str]:
    """What User Progress's GET /status answer tells of a learner the agent has no knowledge of,
    and the note that says where the lesson's choice came from."""
    if status_code == 404:
        return None, "new learner: no progress recorded yet"
    if status_code != 200:
        return None, f"learner progress unavailable (user-progress answered {status_code})"
    return from_status(body), "progress from user-progress"


def choice_for(
    *,
    knowledge: LearnerKnowledge | None,
    meta: Meta,
    now: datetime,
    topic: str | None,
    difficulty: Difficulty | None,
) -> Choice:
    """The topic and difficulty asked for, or what the learner's knowledge and plan call for next."""
    return choose(curriculum(), knowledge, now, topic, difficulty, planned_topics(meta, knowledge))


def draft_lesson(
    *,
    bank: Curriculum,
    choice: Choice,
    learner_id: str,
    lesson_id: str,
    knowledge: LearnerKnowledge | None,
    meta: Meta,
    now: datetime,
    request_id: str | None,
    source_note: str | None,
) -> Lesson:
    """The lesson on ``choice`` composed from ``bank`` (the curriculum with the chosen topic's accepted
    variants); ``source_note`` (where the knowledge came from) is added to the rationale."""
    lesson = compose(
        bank,
        choice,
        knowledge,
        learner_id=learner_id,
        lesson_id=lesson_id,
        created_at=now,
        previous_lessons_on_topic=meta.lessons_on(choice.topic),
        seed=zlib.crc32(lesson_id.encode()),
        served=meta.served(),
        request_id=request_id,
    )
    if source_note:
        return lesson.model_copy(update={"rationale": f"{lesson.rationale} ({source_note})"})
    return lesson


def variant_wanted(event: ProgressUpdatedV1) -> tuple[str, Difficulty] | None:
    """The topic level a learner struggles on, if the event shows it (a wrong item, or a score below
    WEAK_SCORE) and the curriculum teaches the topic: where new practice material helps. The level is
    that of the first wrong item of the bank, else the one the topic's mastery suggests."""
    if event.topic not in curriculum().slugs:
        return None
    wrong = [item.item_id for item in event.items or () if not item.correct]
    if not wrong and (event.score is None or event.score >= WEAK_SCORE):
        return None
    places = item_places(curriculum())
    levels = [places[i].difficulty for i in wrong if i in places and places[i].topic == event.topic]
    return event.topic, levels[0] if levels else _level_for_mastery(event.topic_mastery)


def _level_for_mastery(mastery: int) -> Difficulty:
    """User Progress's mastery score read as a level, for events whose items do not name one."""
    if mastery < LEARNING:
        return "beginner"
    return "intermediate" if mastery < PROFICIENT else "advanced"


def lesson_generated(lesson: Lesson, source: str) -> CloudEvent:
    """The ``lesson.generated`` event of a new lesson; its id is derived from the lesson's, so a
    retried publish is the same event to consumers."""
    payload = LessonGeneratedV1(
        lesson_id=lesson.lesson_id,
        learner_id=lesson.learner_id,
        topic=lesson.topic,
        difficulty=lesson.difficulty,
        title=lesson.title,
        rationale=lesson.rationale,
        generator=lesson.generator,
        created_at=lesson.created_at,
    )
    event_id = uuid.uuid5(NAMESPACE, f"{lesson.lesson_id}/{payload.EVENT_TYPE}")
    return CloudEvent.wrap(event_id=str(event_id), source=source, payload=payload, subject=lesson.learner_id)
