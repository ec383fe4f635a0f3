"""What the learner's plan actor decides, without the actor: lesson ids, where a new learner's
knowledge comes from, the draft lesson and the bank it is composed from, which progress asks for new
variants, and the lesson.generated event."""

from __future__ import annotations

from datetime import UTC, datetime

from course_agent import planning
from course_agent.content import curriculum
from course_agent.domain.curriculum import Curriculum
from course_agent.domain.generator import BUILTIN
from course_agent.domain.lesson import Lesson
from course_agent.layout import Meta, known_cursor
from learnflow_common.events import ItemResultV1, LessonGeneratedV1, ProgressUpdatedV1

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


def _draft(
    source_note: str | None = None, topic: str | None = None, meta: Meta | None = None, bank: Curriculum | None = None
) -> Lesson:
    return planning.draft_lesson(
        bank=bank or curriculum(),
        choice=planning.choice_for(knowledge=None, meta=meta or Meta(), now=NOW, topic=topic, difficulty=None),
        learner_id="ada",
        lesson_id=planning.lesson_id_for("ada", "r1"),
        knowledge=None,
        meta=meta or Meta(),
        now=NOW,
        request_id="r1",
        source_note=source_note,
    )


def _progress(score: int | None, *correct: bool, topic: str = "loops") -> ProgressUpdatedV1:
    return ProgressUpdatedV1(
        learner_id="ada",
        source_event_id="e",
        activity="quiz",
        topic=topic,
        score=score,
        items=[ItemResultV1(item_id=f"q{i}", correct=c, attempts=1, hints_used=0) for i, c in enumerate(correct)]
        or None,
        completed_at=NOW,
        events_recorded=1,
        xp_earned=10,
        xp_total=10,
        level=1,
        topic_mastery=55,
        topic_level="Learning",
        topic_next_review_at=None,
        week="2026-W47",
        week_xp=10,
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


def test_the_lesson_is_composed_from_the_bank_it_is_given() -> None:
    """The actor passes the curriculum with the topic's accepted variants: what is in the bank is what
    a lesson can serve."""
    loops = curriculum().topic("loops")
    only_two = loops.levels["beginner"].model_copy(update={"exercises": loops.levels["beginner"].exercises[:2]})
    bank = curriculum().model_copy(
        update={
            "topics": tuple(
                t.model_copy(update={"levels": {**t.levels, "beginner": only_two}}) if t.slug == "loops" else t
                for t in curriculum().topics
            )
        }
    )

    lesson = _draft(topic="loops", bank=bank)

    assert {e.id for e in lesson.exercises} <= {e.id for e in only_two.exercises}


def test_progress_with_a_wrong_item_or_a_weak_score_asks_for_variants_of_its_topic_level() -> None:
    assert planning.variant_wanted(_progress(90, True, False)) == ("loops", "intermediate")
    assert planning.variant_wanted(_progress(40)) == ("loops", "intermediate")


def test_a_wrong_bank_item_asks_for_variants_at_that_items_level() -> None:
    advanced = curriculum().topic("loops").levels["advanced"].quiz[0].id
    event = _progress(90).model_copy(
        update={"items": [ItemResultV1(item_id=advanced, correct=False, attempts=1, hints_used=0)]}
    )

    assert planning.variant_wanted(event) == ("loops", "advanced")


def test_progress_that_went_well_asks_for_nothing() -> None:
    assert planning.variant_wanted(_progress(90, True, True)) is None
    assert planning.variant_wanted(_progress(None)) is None


def test_progress_on_a_topic_the_curriculum_does_not_teach_asks_for_nothing() -> None:
    assert planning.variant_wanted(_progress(10, topic="cobol")) is None


def test_the_lesson_generated_event_has_one_id_per_lesson_and_carries_its_summary() -> None:
    lesson = _draft()

    event = planning.lesson_generated(lesson, "course-agent")

    assert event.id == planning.lesson_generated(lesson, "course-agent").id
    assert (event.type, event.source, event.subject) == (LessonGeneratedV1.EVENT_TYPE, "course-agent", "ada")
    assert LessonGeneratedV1.model_validate(event.data).lesson_id == lesson.lesson_id


def test_a_listing_cursor_must_be_one_of_the_learner_lesson_seqs() -> None:
    meta = Meta(lessons=3)

    assert [known_cursor(meta, cursor) for cursor in (None, 1, 3, 4, 0)] == [True, True, True, False, False]
