"""What the learner's plan actor decides, without the actor: lesson ids, where a new learner's
knowledge comes from, the draft lesson, the model fallback and the lesson.generated event."""

from __future__ import annotations

from datetime import UTC, datetime

from course_agent import planning
from course_agent.content import curriculum
from course_agent.domain.generator import BUILTIN
from course_agent.domain.lesson import Lesson
from course_agent.layout import Meta, known_cursor
from learnflow_common.events import LessonGeneratedV1

NOW = datetime(2026, 11, 20, 10, 0, tzinfo=UTC)
STATUS = {
    "learner_id": "ada",
    "topics": [
        {
            "topic": "loops",
            "counts": {"quiz": 2, "exercise": 1},
            "average_score": 80.0,
            "mastery": 55,
            "next_review_at": None,
            "last_activity_at": "2026-11-19T10:00:00Z",
        }
    ],
}


def _draft(source_note: str | None = None, topic: str | None = None, meta: Meta | None = None) -> Lesson:
    return planning.draft_lesson(
        learner_id="ada",
        lesson_id=planning.lesson_id_for("ada", "r1"),
        knowledge=None,
        meta=meta or Meta(),
        now=NOW,
        topic=topic,
        difficulty=None,
        request_id="r1",
        source_note=source_note,
    )


def test_a_request_id_names_the_same_lesson_for_ever_and_only_for_its_learner() -> None:
    assert planning.lesson_id_for("ada", "r1") == planning.lesson_id_for("ada", "r1")
    assert planning.lesson_id_for("ada", "r1") != planning.lesson_id_for("bob", "r1")
    assert planning.lesson_id_for("ada", "r1").startswith("ada~")


def test_without_a_request_id_every_lesson_gets_a_fresh_id() -> None:
    assert planning.lesson_id_for("ada", None) != planning.lesson_id_for("ada", None)


def test_a_learner_unknown_to_user_progress_starts_from_the_beginning() -> None:
    assert planning.knowledge_from_progress(404, None) == (None, "new learner: no progress recorded yet")


def test_an_error_from_user_progress_is_named_in_the_note() -> None:
    knowledge, note = planning.knowledge_from_progress(503, None)

    assert knowledge is None
    assert "503" in note


def test_user_progress_status_gives_the_knowledge_of_a_learner_no_event_has_reached_yet() -> None:
    knowledge, note = planning.knowledge_from_progress(200, STATUS)

    assert knowledge is not None
    assert knowledge.mastery("loops") == 55
    assert note == "progress from user-progress"


def test_the_draft_says_where_the_learner_knowledge_came_from() -> None:
    plain, noted = _draft(), _draft(source_note=planning.PROGRESS_UNREACHABLE)

    assert noted.rationale == f"{plain.rationale} ({planning.PROGRESS_UNREACHABLE})"
    assert plain.generator == BUILTIN


def test_the_draft_teaches_the_topic_asked_for() -> None:
    assert _draft(topic="loops").topic == "loops"


def test_the_draft_serves_first_what_the_learners_latest_lesson_on_the_topic_did_not() -> None:
    bank = [exercise.id for exercise in curriculum().topic("loops").levels["beginner"].exercises]
    after_one = Meta().with_lesson("loops", NOW, (bank[0],))
    after_the_other = Meta().with_lesson("loops", NOW, (bank[-1],))

    assert _draft(topic="loops", meta=after_one).exercises[0].id != bank[0]
    assert _draft(topic="loops", meta=after_the_other).exercises[0].id != bank[-1]


def test_a_model_failure_keeps_the_built_in_draft_and_says_why() -> None:
    draft = _draft()

    invalid = planning.built_in_instead(draft, planning.model_failure(ValueError("quiz: too short\nmore")))
    unreachable = planning.built_in_instead(draft, planning.model_failure(RuntimeError("x" * 500)))

    assert invalid.generator == f"{BUILTIN} (fallback: model reply is not a valid lesson: quiz: too short)"
    assert unreachable.generator == f"{BUILTIN} (fallback: model unavailable: {'x' * 120})"
    assert invalid.model_copy(update={"generator": draft.generator}) == draft


def test_the_lesson_generated_event_has_one_id_per_lesson_and_carries_its_summary() -> None:
    lesson = _draft()

    event = planning.lesson_generated(lesson, "course-agent")

    assert event.id == planning.lesson_generated(lesson, "course-agent").id
    assert (event.type, event.source, event.subject) == (LessonGeneratedV1.EVENT_TYPE, "course-agent", "ada")
    assert LessonGeneratedV1.model_validate(event.data).lesson_id == lesson.lesson_id


def test_a_listing_cursor_must_be_one_of_the_learner_lesson_seqs() -> None:
    meta = Meta(lessons=3)

    assert [known_cursor(meta, cursor) for cursor in (None, 1, 3, 4, 0)] == [True, True, True, False, False]
