"""Values only a curriculum's content decides (where each item sits, where each concept is taught)
are computed once per curriculum, not on every lesson: the kept values are those their computation
gives, for the built-in curriculum and one with variants, and the learner's concept estimates read
only the learner's results, with the answers of the reading over every item of the curriculum."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent.content import curriculum
from course_agent.domain import curriculum as curriculum_module
from course_agent.domain.curriculum import Curriculum, derived, teaching_positions
from course_agent.domain.knowledge import ItemAttempt, LearnerKnowledge, apply_progress
from course_agent.domain.selection import StudentState, item_places, student_state
from course_agent.domain.student_model import concept_mastery
from course_agent.domain.variants import VariantBank, curriculum_with_variants
from learnflow_common.events import ItemResultV1, ProgressUpdatedV1

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _with_a_variant() -> Curriculum:
    """The built-in curriculum with one more exercise in loops/beginner (a copy of another's)."""
    exercise = curriculum().topic("functions").levels["intermediate"].exercises[0]
    bank = VariantBank(exercises=(exercise.model_copy(update={"id": "variant-of-an-exercise"}),))
    return curriculum_with_variants(curriculum(), {("loops", "beginner"): bank})


@pytest.mark.parametrize("made", [curriculum, _with_a_variant], ids=["built-in", "with a variant"])
def test_kept_derived_values_are_what_their_computation_gives(made: object) -> None:
    bank = made()  # type: ignore[operator]

    assert dict(item_places(bank)) == item_places.compute(bank)  # type: ignore[attr-defined]
    assert dict(teaching_positions(bank)) == teaching_positions.compute(bank)  # type: ignore[attr-defined]


def test_a_curriculum_with_variants_has_its_own_places() -> None:
    assert "variant-of-an-exercise" in item_places(_with_a_variant())
    assert "variant-of-an-exercise" not in item_places(curriculum())


def test_a_derived_value_is_computed_once_per_curriculum_and_again_for_another() -> None:
    calls: Counter[int] = Counter()

    @derived
    def sizes(bank: Curriculum) -> dict[str, int]:
        calls[id(bank)] += 1
        return {topic.slug: len(topic.levels) for topic in bank.topics}

    built_in, other = curriculum(), _with_a_variant()
    for _ in range(3):
        sizes(built_in)
        sizes(other)

    assert calls == {id(built_in): 1, id(other): 1}


def test_derived_values_are_read_only() -> None:
    places = item_places(curriculum())
    with pytest.raises(TypeError):
        places["new-item"] = places[ITEM_IDS[0]]  # type: ignore[index]


def test_derived_values_are_kept_for_a_bounded_number_of_curricula() -> None:
    copies = [curriculum().model_copy() for _ in range(curriculum_module.DERIVED_CURRICULA + 3)]
    for copy in copies:
        teaching_positions(copy)

    assert len(curriculum_module._derived) <= curriculum_module.DERIVED_CURRICULA
    assert dict(teaching_positions(copies[0])) == teaching_positions.compute(copies[0])  # type: ignore[attr-defined]


def test_without_variants_lessons_are_composed_from_the_curriculum_itself() -> None:
    assert curriculum_with_variants(curriculum(), {("loops", "beginner"): VariantBank()}) is curriculum()


def _estimates_over_every_item(
    state: StudentState, outside: str | None, only: set[str] | None
) -> dict[str, tuple[float, int]]:
    """The reference: ``StudentState.concept_estimates`` as first written, over every item of the
    curriculum, not only the learner's results."""
    concepts = {
        item_id: tuple(c for c in place.concepts if only is None or c in only)
        for item_id, place in state.places.items()
        if place.topic != outside
    }
    kept: list[tuple[str, ItemAttempt]] = [(i, r) for i, r in state.results if concepts.get(i)]
    estimates = concept_mastery(kept, concepts.__getitem__)
    counts: Counter[str] = Counter(concept for item_id, _ in kept for concept in concepts[item_id])
    return {concept: (p, counts[concept]) for concept, p in estimates.items()}


ITEM_IDS = sorted(item_places(curriculum()))
CONCEPTS = sorted({concept for place in item_places(curriculum()).values() for concept in place.concepts})
TOPICS = [topic.slug for topic in curriculum().topics]


@settings(max_examples=60, deadline=None)
@given(
    answers=st.lists(
        st.tuples(st.sampled_from([*ITEM_IDS, "not-an-item"]), st.booleans(), st.integers(1, 3)), max_size=40
    ),
    outside=st.none() | st.sampled_from(TOPICS),
    only=st.none() | st.sets(st.sampled_from(CONCEPTS), max_size=6),
)
def test_concept_estimates_from_the_learners_results_equal_those_over_every_item(
    answers: list[tuple[str, bool, int]], outside: str | None, only: set[str] | None
) -> None:
    knowledge: LearnerKnowledge | None = None
    for seq, (item_id, correct, attempts) in enumerate(answers, start=1):
        event = ProgressUpdatedV1(
            learner_id="ada",
            source_event_id=f"e{seq}",
            activity="quiz",
            topic="loops",
            score=70,
            items=[ItemResultV1(item_id=item_id, correct=correct, attempts=attempts, hints_used=0)],
            completed_at=T0 + timedelta(minutes=seq),
            events_recorded=seq,
            xp_earned=10,
            xp_total=10 * seq,
            level=1,
            topic_mastery=20,
            topic_level="Beginner",
            topic_next_review_at=None,
            week="2026-W01",
            week_xp=10,
        )
        knowledge = apply_progress(knowledge, f"ce-{seq}", event)
    state = student_state(curriculum(), knowledge or LearnerKnowledge(learner_id="ada"))

    assert state.concept_estimates(outside, only) == _estimates_over_every_item(state, outside, only)
