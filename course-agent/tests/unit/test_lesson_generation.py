"""Choosing a topic and composing a lesson for a learner (the built-in generator)."""

from __future__ import annotations

from collections import Counter
from datetime import UTC, datetime, timedelta

import jsonschema
import pytest
from pydantic import ValidationError

from course_agent.content import curriculum
from course_agent.domain.generator import Choice, choose, compose, shuffled
from course_agent.domain.knowledge import LearnerKnowledge, TopicKnowledge
from course_agent.domain.lesson import QuizQuestion
from course_agent.schemas import load_schema, render_schema
from learnflow_common.curriculum import TOPIC_SLUGS as PLATFORM_TOPIC_SLUGS
from learnflow_common.vocabulary import DIFFICULTIES, PROFICIENT

NOW = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
CURRICULUM = curriculum().topics
topic = curriculum().topic


def _knows(**topics: TopicKnowledge) -> LearnerKnowledge:
    return LearnerKnowledge(learner_id="ada", topics={name.replace("_", "-"): t for name, t in topics.items()})


def _mastered() -> TopicKnowledge:
    return TopicKnowledge(attempts=5, scores=(95, 96), mastery=95, next_review_at=NOW + timedelta(days=30))


def _compose(choice: Choice, knowledge: LearnerKnowledge | None = None, previous: int = 0, seed: int = 1) -> dict:
    lesson = compose(
        curriculum(),
        choice,
        knowledge,
        learner_id="ada",
        lesson_id=f"ada~{seed:032x}",
        created_at=NOW,
        previous_lessons_on_topic=previous,
        seed=seed,
    )
    return lesson.model_dump(mode="json")


def test_new_learner_starts_with_the_first_topic_without_prerequisites() -> None:
    choice = choose(curriculum(), None, NOW)

    assert choice.topic == CURRICULUM[0].slug
    assert not topic(choice.topic).prerequisites
    assert choice.difficulty == "beginner"
    assert "no prerequisites" in choice.rationale


def test_mastered_topics_are_skipped_for_the_next_one_whose_prerequisites_are_mastered() -> None:
    knowledge = _knows(variables=_mastered(), strings=_mastered())

    choice = choose(curriculum(), knowledge, NOW)

    assert choice.topic == "control-flow"
    assert all(knowledge.mastery(p) >= PROFICIENT for p in topic(choice.topic).prerequisites)


def test_a_topic_whose_prerequisites_are_not_mastered_is_not_chosen() -> None:
    knowledge = _knows(variables=TopicKnowledge(attempts=1, scores=(70,), mastery=45))

    choice = choose(curriculum(), knowledge, NOW)

    assert choice.topic == "variables"
    assert choice.difficulty == "beginner"  # a score alone says nothing of the levels: no item results yet
    assert "no item results" in choice.rationale


def test_weak_scores_on_a_topic_bring_remediation_first() -> None:
    knowledge = _knows(
        variables=_mastered(),
        strings=_mastered(),
        control_flow=TopicKnowledge(attempts=3, scores=(40, 35, 50), mastery=30),
    )

    choice = choose(curriculum(), knowledge, NOW)

    assert choice == Choice("control-flow", "beginner", choice.rationale, remediation=True)
    assert "remediation" in choice.rationale


def test_a_topic_due_for_review_comes_before_new_material() -> None:
    due = TopicKnowledge(attempts=4, scores=(90,), mastery=92, next_review_at=NOW - timedelta(days=1))
    knowledge = _knows(variables=due, strings=_mastered())

    choice = choose(curriculum(), knowledge, NOW)

    assert choice.topic == "variables"
    assert "review" in choice.rationale


def test_requested_topic_and_difficulty_win_and_are_said_so() -> None:
    choice = choose(curriculum(), None, NOW, requested_topic="classes", requested_difficulty="advanced")

    assert (choice.topic, choice.difficulty) == ("classes", "advanced")
    assert "requested" in choice.rationale


def test_lesson_has_a_refresher_for_unmastered_prerequisites_only() -> None:
    with_gap = _compose(Choice("loops", "beginner", "r"), _knows(control_flow=TopicKnowledge(mastery=20)))
    without_gap = _compose(Choice("loops", "beginner", "r"), _knows(control_flow=_mastered(), variables=_mastered()))

    assert with_gap["sections"][0]["heading"] == "Refresher first"
    assert all(section["heading"] != "Refresher first" for section in without_gap["sections"])


def test_remediation_lesson_adds_a_section_for_the_weak_spot() -> None:
    knowledge = _knows(loops=TopicKnowledge(attempts=3, scores=(30, 40, 50), mastery=25))

    lesson = _compose(Choice("loops", "beginner", "remediation", remediation=True), knowledge)

    weak_spot = next(section for section in lesson["sections"] if "shore this up" in section["heading"])
    assert "come to 43" in weak_spot["markdown"]  # (30, 40, 50), the latest weighing most


def test_two_lessons_on_a_topic_are_not_identical() -> None:
    first = _compose(Choice("functions", "intermediate", "r"), previous=0, seed=1)
    second = _compose(Choice("functions", "intermediate", "r"), previous=1, seed=2)

    assert [e["id"] for e in first["exercises"]] != [e["id"] for e in second["exercises"]]


def test_same_inputs_and_seed_give_the_same_lesson() -> None:
    assert _compose(Choice("errors", "advanced", "r"), seed=7) == _compose(Choice("errors", "advanced", "r"), seed=7)


@pytest.mark.parametrize("difficulty", DIFFICULTIES)
@pytest.mark.parametrize("slug", [t.slug for t in CURRICULUM])
def test_every_generated_lesson_validates_against_the_published_schema(slug: str, difficulty: str) -> None:
    lesson = _compose(Choice(slug, difficulty, "r"))  # type: ignore[arg-type]

    jsonschema.validate(lesson, load_schema())
    assert lesson["examples"]
    assert lesson["exercises"]
    assert lesson["quiz"]
    assert all(q["answer"] < len(q["choices"]) for q in lesson["quiz"])


def test_published_lesson_schema_matches_the_model() -> None:
    assert load_schema() == render_schema(), "schema file is stale: run `make schemas`"


def test_curriculum_teaches_exactly_the_platforms_topic_slugs_in_order() -> None:
    assert tuple(t.slug for t in CURRICULUM) == PLATFORM_TOPIC_SLUGS


def test_knowledge_of_a_topic_outside_the_curriculum_is_ignored() -> None:
    knowledge = _knows(cooking=TopicKnowledge(attempts=1, scores=(10,), mastery=5, next_review_at=NOW))

    assert choose(curriculum(), knowledge, NOW).topic == CURRICULUM[0].slug


def test_the_next_new_topic_skips_one_that_already_has_a_lesson_waiting() -> None:
    through_classes = curriculum().slugs[: curriculum().slugs.index("classes") + 1]
    knowledge = _knows(**{slug: _mastered() for slug in through_classes})

    first = choose(curriculum(), knowledge, NOW)
    second = choose(curriculum(), knowledge, NOW, planned_topics=frozenset({first.topic}))

    assert first.topic == "iterators-generators"
    assert second.topic == "testing"
    assert "already has a lesson waiting" in second.rationale


def test_when_every_ready_topic_is_planned_the_first_is_taught_again() -> None:
    assert choose(curriculum(), None, NOW, planned_topics=frozenset({"variables"})).topic == "variables"


def test_quiz_choices_are_shuffled_per_lesson_and_map_back_to_the_curriculum() -> None:
    for seed in range(20):
        lesson = compose(
            curriculum(),
            Choice("loops", "beginner", "r"),
            None,
            learner_id="ada",
            lesson_id=f"ada~{seed:032x}",
            created_at=NOW,
            previous_lessons_on_topic=0,
            seed=1,
        )
        for question in lesson.quiz:
            held = next(q for q in curriculum().topic("loops").levels["beginner"].quiz if q.id == question.id)
            assert question.choice_order is not None
            assert question.choices == [held.choices[i] for i in question.choice_order]
            assert question.choices[question.answer] == held.choices[held.answer]
            assert question.original_choice(question.answer) == held.answer


def test_where_the_right_answer_sits_changes_from_lesson_to_lesson() -> None:
    held = curriculum().topic("variables").levels["beginner"].quiz[0]
    positions = Counter(shuffled(held, f"ada~{number:032x}").answer for number in range(400))

    assert set(positions) == set(range(len(held.choices)))
    assert max(positions.values()) / 400 < 0.35


def test_the_same_lesson_id_shuffles_a_question_the_same_way() -> None:
    held = curriculum().topic("errors").levels["advanced"].quiz[0]

    assert shuffled(held, "ada~" + "1" * 32) == shuffled(held, "ada~" + "1" * 32)


def test_a_choice_order_that_is_not_a_permutation_is_refused() -> None:
    with pytest.raises(ValidationError, match="permutation"):
        QuizQuestion(id="q", question="?", choices=["a", "b"], answer=0, explanation="e", choice_order=[0, 0])
