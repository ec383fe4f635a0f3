"""Choosing and composing from the student model, on small curricula built here (the real bank grows
in parallel): what a teacher would pick next, at which level, and which items."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent.content import curriculum
from course_agent.domain.concepts import Concept
from course_agent.domain.curriculum import (
    CodeExample,
    Curriculum,
    Exercise,
    LevelContent,
    Mutant,
    QuizQuestion,
    Section,
    Topic,
    level_needs,
)
from course_agent.domain.generator import Choice, choose, compose
from course_agent.domain.knowledge import ItemAttempt, LearnerKnowledge, TopicKnowledge
from course_agent.domain.lesson import Lesson
from course_agent.domain.selection import DELAYED_CHECK, fresh_first, recent_weighted_average, student_state
from course_agent.layout import Meta
from learnflow_common.vocabulary import DIFFICULTIES, Difficulty

NOW = datetime(2026, 12, 1, 12, 0, tzinfo=UTC)
#: topic -> (prerequisites, the concept each level teaches, concepts taught elsewhere it uses)
TOPICS: dict[str, tuple[tuple[str, ...], tuple[Concept, Concept, Concept], tuple[Concept, ...]]] = {
    "alpha": ((), ("assert", "f-string", "indexing"), ()),
    "beta": (("alpha",), ("if", "match", "tuple"), ("assert",)),
    "gamma": (("beta",), ("for", "while", "break-continue"), ("if",)),
    "delta": (("alpha",), ("dict", "set", "list"), ("assert", "if")),  # uses beta's "if" without needing beta
}


def _level(slug: str, difficulty: Difficulty, exercises: int, questions: int) -> LevelContent:
    _, concepts, used = TOPICS[slug]
    taught = concepts[DIFFICULTIES.index(difficulty)]
    tag = f"{slug}-{difficulty[0]}"
    common = {"difficulty": difficulty, "concepts_used": (*used, taught)}
    return LevelContent(
        objectives=(f"{slug} {difficulty} objective",),
        sections=(
            Section(
                id=f"{tag}-s", heading=f"{slug} {difficulty}", markdown="x" * 80, concepts_taught=(taught,), **common
            ),
        ),
        examples=tuple(
            CodeExample(
                id=f"{tag}-ex{n}",
                title=f"{tag} example {n}",
                code=f"print({n})",
                expected_output=str(n),
                concepts_taught=(),
                **common,
            )
            for n in range(2)
        ),
        exercises=tuple(
            Exercise(
                id=f"{tag}-{n}",
                prompt=f"{tag} exercise {n}",
                hints=(f"{tag} nudge {n}", f"{tag} strategy {n}"),
                starter_code="x = None",
                solution="x = " + "1" * (n + 1),
                tests="assert x",
                mutants=(Mutant(flaw="falsy", code="x = 0"), Mutant(flaw="empty", code="x = ''")),
                concepts_taught=(),
                **common,
            )
            for n in range(exercises)
        ),
        quiz=tuple(
            QuizQuestion(
                id=f"{tag}-q{n}",
                question=f"{tag} question {n}?",
                choices=("a", "b", "c", "d"),
                answer=n % 4,
                explanation="because",
                concepts_taught=(),
                **common,
            )
            for n in range(questions)
        ),
    )


def _curriculum(exercises: int = 6, questions: int = 8) -> Curriculum:
    return Curriculum(
        topics=tuple(
            Topic(
                slug=slug,
                title=slug.title(),
                summary=f"all about {slug}",
                prerequisites=prerequisites,
                estimated_minutes=30,
                objectives=(f"{slug} overall",),
                levels={d: _level(slug, d, exercises, questions) for d in DIFFICULTIES},
            )
            for slug, (prerequisites, _, _) in TOPICS.items()
        )
    )


CURRICULUM = _curriculum()


def _results(
    topic: str, difficulty: Difficulty, outcomes: list[bool], at: datetime, start: int = 0
) -> dict[str, tuple[ItemAttempt, ...]]:
    """One result per exercise of the level, in order, a minute apart."""
    tag = f"{topic}-{difficulty[0]}"
    return {
        f"{tag}-{start + n}": (ItemAttempt(at + timedelta(minutes=n), 0, correct),)
        for n, correct in enumerate(outcomes)
    }


def _learner(
    *item_sets: dict[str, tuple[ItemAttempt, ...]], topics: dict[str, TopicKnowledge] | None = None
) -> LearnerKnowledge:
    items: dict[str, tuple[ItemAttempt, ...]] = {}
    for found in item_sets:
        for item_id, attempts in found.items():
            items[item_id] = tuple(sorted((*items.get(item_id, ()), *attempts)))
    return LearnerKnowledge(learner_id="ada", topics=topics or {}, items=items)


def _lesson(
    choice: Choice,
    knowledge: LearnerKnowledge | None,
    meta: Meta | None = None,
    number: int = 1,
    curriculum: Curriculum = CURRICULUM,
) -> Lesson:
    return compose(
        curriculum,
        choice,
        knowledge,
        learner_id="ada",
        lesson_id=f"ada~{number:032x}",
        created_at=NOW,
        seed=number,
        previous_lessons_on_topic=meta.lessons_on(choice.topic) if meta else 0,
        served=meta.served() if meta else None,
    )


def _ids(lesson: Lesson) -> set[str]:
    return {exercise.id for exercise in lesson.exercises}


def _due(days_ago: int = 1, mastery: int = 95) -> TopicKnowledge:
    return TopicKnowledge(attempts=3, scores=(90,), mastery=mastery, next_review_at=NOW - timedelta(days=days_ago))


# ------------------------------------------------------------------------------ advancing a level
def test_one_perfect_beginner_lesson_does_not_skip_the_next_levels() -> None:
    perfect = _learner(
        _results("alpha", "beginner", [True] * 5, NOW - timedelta(hours=1)),
        topics={"alpha": TopicKnowledge(attempts=5, scores=(100,), mastery=78)},
    )

    asked = choose(CURRICULUM, perfect, NOW, requested_topic="alpha")

    assert asked.difficulty == "beginner"
    assert "check on a later day" in asked.rationale


def test_a_level_is_passed_on_its_own_evidence_and_a_success_a_day_later() -> None:
    first_day = _results("alpha", "beginner", [True] * 3, NOW - timedelta(days=2))
    a_day_later = _results("alpha", "beginner", [True], NOW - timedelta(hours=1), start=3)

    before = choose(CURRICULUM, _learner(first_day), NOW, requested_topic="alpha")
    after = choose(CURRICULUM, _learner(first_day, a_day_later), NOW, requested_topic="alpha")

    assert before.difficulty == "beginner"
    assert after.difficulty == "intermediate"
    assert "beginner passed" in after.rationale


def test_a_success_on_the_same_day_is_no_delayed_check() -> None:
    one_day = _results("alpha", "beginner", [True] * 6, NOW - timedelta(hours=5))

    assert choose(CURRICULUM, _learner(one_day), NOW, requested_topic="alpha").difficulty == "beginner"


def test_the_delayed_check_comes_when_it_is_due_and_the_next_topic_until_then() -> None:
    went_well = _results("alpha", "beginner", [True] * 4, NOW - timedelta(hours=3))

    today = choose(CURRICULUM, _learner(went_well), NOW)
    tomorrow = choose(CURRICULUM, _learner(went_well), NOW + DELAYED_CHECK)

    assert (today.topic, today.difficulty) == ("beta", "beginner")
    assert (tomorrow.topic, tomorrow.difficulty) == ("alpha", "beginner")
    assert "delayed check" in tomorrow.rationale


def test_evidence_at_a_lower_level_never_advances_a_higher_one() -> None:
    beginner_only = _learner(
        _results("alpha", "beginner", [True] * 3, NOW - timedelta(days=3)),
        _results("alpha", "beginner", [True] * 3, NOW - timedelta(days=1), start=3),
    )

    asked = choose(CURRICULUM, beginner_only, NOW + timedelta(days=30), requested_topic="alpha")

    assert asked.difficulty == "intermediate"


# ------------------------------------------------------------------------------ reviews
def test_review_never_serves_a_level_above_the_one_learned() -> None:
    beginner_only = _learner(
        _results("alpha", "beginner", [True] * 4, NOW - timedelta(days=5)), topics={"alpha": _due(mastery=95)}
    )

    choice = choose(CURRICULUM, beginner_only, NOW)
    lesson = _lesson(choice, beginner_only)

    assert (choice.topic, choice.difficulty) == ("alpha", "beginner")
    assert "review" in choice.rationale
    assert all(item.id.startswith("alpha-b-") for item in (*lesson.exercises, *lesson.quiz))


def test_a_review_is_a_short_mixed_retrieval_set_of_the_due_topics() -> None:
    knowledge = _learner(
        _results("alpha", "intermediate", [True] * 3, NOW - timedelta(days=9)),
        _results("beta", "beginner", [True] * 3, NOW - timedelta(days=8)),
        topics={"alpha": _due(days_ago=2), "beta": _due(days_ago=1)},
    )

    choice = choose(CURRICULUM, knowledge, NOW)
    lesson = _lesson(choice, knowledge)

    assert choice.review == (("alpha", "intermediate"), ("beta", "beginner"))
    assert lesson.title == "Review: Alpha (intermediate), Beta (beginner)"
    assert {q.id.rsplit("-", 1)[0] for q in lesson.quiz} == {"alpha-i", "beta-b"}
    assert len(lesson.quiz) <= 4
    assert len(lesson.exercises) <= 2
    assert lesson.objectives == ["alpha intermediate objective", "beta beginner objective"]


def test_a_review_without_item_results_stays_at_beginner() -> None:
    choice = choose(CURRICULUM, _learner(topics={"beta": _due(mastery=100)}), NOW)

    assert (choice.topic, choice.difficulty) == ("beta", "beginner")


# ------------------------------------------------------------------------------ failing prerequisites
def test_a_failing_prerequisite_beats_a_routine_review() -> None:
    knowledge = _learner(
        _results("alpha", "beginner", [True, True, False, False, False], NOW - timedelta(hours=2)),
        _results("beta", "beginner", [True], NOW - timedelta(hours=1)),
        topics={"gamma": _due()},
    )

    choice = choose(CURRICULUM, knowledge, NOW)

    assert (choice.topic, choice.difficulty, choice.remediation) == ("alpha", "beginner", True)
    assert "prerequisite" in choice.rationale
    assert "'beta' builds on 'alpha'" in choice.rationale


def test_a_requested_topic_on_a_failing_prerequisite_is_taught_with_a_warning_and_a_refresher() -> None:
    knowledge = _learner(
        _results("alpha", "beginner", [True] * 3, NOW - timedelta(days=3)),  # learned: beta may build on it
        _results("alpha", "intermediate", [False] * 3, NOW - timedelta(hours=2)),
    )

    choice = choose(CURRICULUM, knowledge, NOW, requested_topic="beta")
    lesson = _lesson(choice, knowledge)

    assert choice.topic == "beta"
    assert "builds on 'alpha', failing" in choice.rationale
    assert lesson.sections[0].heading == "Refresher first"


def test_a_concept_failing_in_other_topics_sends_the_learner_back_to_where_it_is_taught() -> None:
    knowledge = _learner(
        _results("alpha", "beginner", [True] * 3, NOW - timedelta(days=4)),
        _results("beta", "beginner", [True] * 3, NOW - timedelta(days=4)),
        # answers to questions on gamma, which reads "if"; delta uses "if" too, taught in beta
        {f"gamma-b-q{n}": (ItemAttempt(NOW - timedelta(hours=3, minutes=-n), 0, False),) for n in range(4)},
        _results("delta", "beginner", [True], NOW - timedelta(hours=1)),
    )

    choice = choose(CURRICULUM, knowledge, NOW)

    assert (choice.topic, choice.difficulty, choice.remediation) == ("beta", "beginner", True)
    assert "'delta' uses if, taught in 'beta' (beginner)" in choice.rationale


def test_struggling_with_a_topic_does_not_blame_its_prerequisites() -> None:
    knowledge = _learner(
        _results("alpha", "beginner", [True] * 3, NOW - timedelta(days=3)),
        _results("beta", "beginner", [False] * 4, NOW - timedelta(hours=1)),
    )

    choice = choose(CURRICULUM, knowledge, NOW)

    assert (choice.topic, choice.remediation) == ("beta", True)
    assert choice.rationale.startswith("remediation: recent results on 'beta'")


# ------------------------------------------------------------------------------ remediation
def test_remediation_weighs_recent_results_so_a_recovery_counts() -> None:
    struggling_then_recovered = _learner(
        _results("alpha", "beginner", [False] * 4 + [True] * 2, NOW - timedelta(hours=2)),
    )
    still_struggling = _learner(_results("alpha", "beginner", [True] * 2 + [False] * 4, NOW - timedelta(hours=2)))

    assert not choose(CURRICULUM, struggling_then_recovered, NOW).remediation
    assert choose(CURRICULUM, still_struggling, NOW).remediation


def test_an_old_failure_below_a_level_learned_since_is_not_remediated() -> None:
    knowledge = _learner(
        _results("alpha", "beginner", [True] * 3 + [False] * 3, NOW - timedelta(days=10)),
        _results("alpha", "intermediate", [True] * 3, NOW - timedelta(days=2)),
    )

    assert not choose(CURRICULUM, knowledge, NOW).remediation


def test_without_item_results_a_recovery_in_the_scores_counts_too() -> None:
    recovered = TopicKnowledge(attempts=7, scores=(20, 30, 25, 30, 35, 85, 95), mastery=50)
    flat_average = sum(recovered.scores) / len(recovered.scores)

    choice = choose(CURRICULUM, _learner(topics={"alpha": recovered}), NOW)

    assert flat_average < 60 < (recent_weighted_average(recovered.scores) or 0)
    assert not choice.remediation


def test_remediation_is_a_different_worked_example_with_more_scaffolding() -> None:
    knowledge = _learner(_results("alpha", "intermediate", [False] * 3, NOW - timedelta(hours=1)))
    choice = Choice("alpha", "intermediate", "remediation: failing", remediation=True)
    plain = _lesson(Choice("alpha", "intermediate", "r"), knowledge)

    helped = _lesson(choice, knowledge)
    again = _lesson(choice, knowledge, Meta().with_lesson("alpha", NOW, tuple(_ids(helped))))

    assert helped.examples[0].title.startswith("alpha-b")  # a lower level's example first
    assert helped.exercises[0].id.startswith("alpha-b-")  # a smaller exercise first
    steps = next(section for section in helped.sections if section.heading == "Step by step")
    assert all(hint in steps.markdown for hint in helped.exercises[0].hints)
    assert len(helped.exercises) > len(plain.exercises)
    assert helped.examples[1].title != again.examples[1].title  # not last time's example
    assert helped.estimated_minutes > plain.estimated_minutes


# ------------------------------------------------------------------------------ items
def test_two_lessons_on_a_topic_and_level_share_no_exercise_while_unseen_ones_remain() -> None:
    meta = Meta()
    lessons = []
    for number in range(3):
        lesson = _lesson(Choice("beta", "beginner", "r"), None, meta, number)
        meta = meta.with_lesson("beta", NOW, tuple(item.id for item in (*lesson.exercises, *lesson.quiz)))
        lessons.append(_ids(lesson))

    assert set.union(*lessons) == {f"beta-b-{n}" for n in range(6)}


def test_items_a_mixed_review_served_count_as_seen_on_their_own_topic() -> None:
    knowledge = _learner(topics={"alpha": _due(days_ago=2), "beta": _due(days_ago=1)})
    review = _lesson(choose(CURRICULUM, knowledge, NOW), knowledge)
    meta = Meta().with_lesson(review.topic, NOW, tuple(item.id for item in (*review.exercises, *review.quiz)))

    beta = _lesson(Choice("beta", "beginner", "r"), None, meta)

    assert review.topic == "alpha"
    assert any(item.id.startswith("beta-") for item in review.quiz)
    assert not {item.id for item in (*review.exercises, *review.quiz)} & {i.id for i in (*beta.exercises, *beta.quiz)}


def test_answered_items_come_after_unseen_ones_and_the_weakest_first() -> None:
    answered = _learner(
        _results("beta", "beginner", [True, False, True, True], NOW),
        {"beta-b-3": (ItemAttempt(NOW, 0, False), ItemAttempt(NOW, 1, True))},  # recovered: weak-ish
    )
    bank = CURRICULUM.topic("beta").levels["beginner"].exercises

    lesson = _lesson(Choice("beta", "beginner", "r"), answered)
    order = fresh_first(bank, evidence=answered.items)

    assert [e.id for e in lesson.exercises] == ["beta-b-4", "beta-b-5"]
    assert [e.id for e in order] == ["beta-b-4", "beta-b-5", "beta-b-1", "beta-b-3", "beta-b-0", "beta-b-2"]


def test_items_of_the_latest_lesson_come_after_other_seen_ones() -> None:
    bank = CURRICULUM.topic("beta").levels["beginner"].exercises
    served = (("beta-b-0", "beta-b-1"), ("beta-b-2", "beta-b-3"), ("beta-b-4", "beta-b-5"))

    assert [e.id for e in fresh_first(bank, served=served)][:4] == ["beta-b-0", "beta-b-1", "beta-b-2", "beta-b-3"]


def test_objectives_are_the_levels() -> None:
    for difficulty in DIFFICULTIES:
        lesson = _lesson(Choice("gamma", difficulty, "r"), None)
        assert lesson.objectives == list(CURRICULUM.topic("gamma").levels[difficulty].objectives)


# ------------------------------------------------------------------------------ properties
outcomes = st.lists(st.booleans(), max_size=8)
hours_ago = st.integers(0, 24 * 6)


@st.composite
def learners(draw: st.DrawFn) -> LearnerKnowledge:
    """Any item evidence on any level, and any review dates and scores."""
    item_sets = []
    for slug in TOPICS:
        for difficulty in DIFFICULTIES:
            results = draw(outcomes)
            if results:
                item_sets.append(_results(slug, difficulty, results, NOW - timedelta(hours=draw(hours_ago))))
    topics = {
        slug: TopicKnowledge(
            attempts=1,
            scores=tuple(draw(st.lists(st.integers(0, 100), max_size=4))),
            mastery=draw(st.integers(0, 100)),
            next_review_at=draw(st.none() | st.just(NOW + timedelta(days=draw(st.integers(-5, 5))))),
        )
        for slug in draw(st.sets(st.sampled_from(sorted(TOPICS))))
    }
    return _learner(*item_sets, topics=topics)


def _learned_levels(knowledge: LearnerKnowledge, topic: str) -> list[Difficulty]:
    state = student_state(CURRICULUM, knowledge)
    return [d for d in DIFFICULTIES if state.level(topic, d).learned or state.level(topic, d).passed]


@settings(max_examples=150, deadline=None)
@given(learners())
def test_a_review_never_serves_a_level_above_the_learners_evidence(knowledge: LearnerKnowledge) -> None:
    choice = choose(CURRICULUM, knowledge, NOW)

    for topic, level in choice.review:
        learned = _learned_levels(knowledge, topic)
        assert DIFFICULTIES.index(level) <= DIFFICULTIES.index(learned[-1] if learned else "beginner")


@settings(max_examples=150, deadline=None)
@given(learners(), st.integers(1, 5))
def test_a_failing_prerequisite_always_beats_a_routine_review(knowledge: LearnerKnowledge, days: int) -> None:
    failing_alpha = _results("alpha", "beginner", [False] * 3, NOW - timedelta(minutes=30))
    working_on_beta = _results("beta", "beginner", [True], NOW - timedelta(minutes=10), start=5)
    knowledge = _learner(
        {k: v for k, v in knowledge.items.items() if not k.startswith("alpha-")},  # alpha: failing, only
        failing_alpha,
        working_on_beta,
        topics={**knowledge.topics, "gamma": _due(days_ago=days)},
    )

    choice = choose(CURRICULUM, knowledge, NOW)

    assert choice.remediation
    assert not choice.review
    assert "prerequisite" in choice.rationale


@settings(max_examples=150, deadline=None)
@given(learners())
def test_no_level_is_taught_above_one_without_evidence_and_a_delayed_check(knowledge: LearnerKnowledge) -> None:
    state = student_state(CURRICULUM, knowledge)
    for slug in TOPICS:
        choice = choose(CURRICULUM, knowledge, NOW, requested_topic=slug)
        below = DIFFICULTIES[: DIFFICULTIES.index(choice.difficulty)]
        assert all(state.level(slug, d).passed for d in below)
        for d in below:
            evidence = state.level(slug, d)
            first = evidence.first_success_at
            assert first is not None
            assert any(r.correct and r.at >= first + DELAYED_CHECK for r in evidence.results)


@settings(max_examples=100, deadline=None)
@given(
    st.integers(2, 5),
    st.integers(0, 3),
    st.lists(st.integers(0, 9), max_size=6),
    st.sampled_from(DIFFICULTIES),
)
def test_two_lessons_on_a_level_share_less_than_half_their_exercises_while_unseen_ones_remain(
    per_lesson_factor: int, before: int, answered: list[int], difficulty: Difficulty
) -> None:
    curriculum = _curriculum(exercises=2 * per_lesson_factor, questions=8)
    tag = f"beta-{difficulty[0]}"
    knowledge = _learner({f"{tag}-{n % (2 * per_lesson_factor)}": (ItemAttempt(NOW, 0, n % 2 == 0),) for n in answered})
    meta = Meta()
    for number in range(before):
        earlier = _lesson(Choice("beta", difficulty, "r"), knowledge, meta, number, curriculum)
        meta = meta.with_lesson("beta", NOW, tuple(e.id for e in earlier.exercises))
    first = _lesson(Choice("beta", difficulty, "r"), knowledge, meta, 10, curriculum)
    meta = meta.with_lesson("beta", NOW, tuple(e.id for e in first.exercises))
    second = _lesson(Choice("beta", difficulty, "r"), knowledge, meta, 11, curriculum)

    bank = {e.id for e in curriculum.topic("beta").levels[difficulty].exercises}
    seen = set(knowledge.items) | {i for lesson in meta.served()["beta"] for i in lesson}
    if bank - seen:
        assert len(_ids(first) & _ids(second)) < len(_ids(second)) / 2


@settings(max_examples=100, deadline=None)
@given(learners(), st.sampled_from([None, *TOPICS]))
def test_the_choice_and_lesson_are_the_same_for_the_same_inputs_and_say_why(
    knowledge: LearnerKnowledge, topic: str | None
) -> None:
    choice = choose(CURRICULUM, knowledge, NOW, requested_topic=topic)
    lesson = _lesson(choice, knowledge)

    assert choose(CURRICULUM, knowledge, NOW, requested_topic=topic) == choice
    assert _lesson(choice, knowledge) == lesson
    assert lesson.rationale == choice.rationale
    reasons = (
        "requested",
        "review",
        "remediation",
        "next topic",
        "continuing",
        "advancing",
        "delayed check",
        "practice",
        "mastered",
    )
    assert any(reason in choice.rationale for reason in reasons), choice.rationale
    assert choice.rationale.startswith("requested") == (topic is not None)
    if choice.review:
        assert choice.rationale.startswith("review: ")
        assert all(f"'{name}' at {level}" in choice.rationale for name, level in choice.review)
    if choice.remediation and topic is None:
        assert choice.rationale.startswith("remediation")
        assert "failing" in choice.rationale or "come to" in choice.rationale


def test_an_exercise_is_evidence_on_what_its_solution_uses_not_on_its_tests_asserts() -> None:
    exercise = curriculum().topic("control-flow").levels["beginner"].exercises[0]

    assert "assert" in exercise.concepts_used
    assert "assert" not in exercise.practised_concepts
    assert "if" in exercise.practised_concepts


def test_failing_a_topics_exercises_remediates_that_topic_not_the_one_that_taught_assert() -> None:
    """Every exercise's tests use ``assert`` (taught in variables): failing control flow must not send
    the learner back to variables, which they did well in."""
    bank = curriculum()
    day_one = NOW - timedelta(days=1)
    done_well = {
        item.id: (ItemAttempt(day_one, 0, True),)
        for slug in ("variables", "strings")
        for item in (*bank.topic(slug).levels["beginner"].exercises, *bank.topic(slug).levels["beginner"].quiz)
    }
    control_flow = bank.topic("control-flow").levels["beginner"]
    failed = {
        item.id: (ItemAttempt(NOW - timedelta(minutes=30), 0, False),)
        for item in (*control_flow.exercises[:3], *control_flow.quiz[:3])
    }

    choice = choose(bank, _learner(done_well, failed), NOW)

    assert (choice.topic, choice.difficulty) == ("control-flow", "beginner")
    assert "remediation" in choice.rationale


def _all_right(bank: Curriculum, slug: str, difficulty: Difficulty, at: datetime) -> dict[str, tuple[ItemAttempt, ...]]:
    level = bank.topic(slug).levels[difficulty]
    return {item.id: (ItemAttempt(at, 0, True),) for item in (*level.exercises, *level.quiz)}


def test_control_flows_items_read_lists_so_it_needs_variables_at_intermediate() -> None:
    assert level_needs(curriculum(), "control-flow", "beginner")["variables"] == "intermediate"
    assert level_needs(curriculum(), "variables", "beginner") == {}


def test_a_topic_waits_until_the_levels_its_items_read_are_learned() -> None:
    bank = curriculum()
    an_hour_ago = NOW - timedelta(hours=1)
    beginners = _learner(  # both beginner levels learned, each waiting for its check on a later day
        _all_right(bank, "variables", "beginner", an_hour_ago),
        _all_right(bank, "strings", "beginner", an_hour_ago),
    )
    with_lists = _learner(
        _all_right(bank, "variables", "beginner", NOW - timedelta(days=2)),
        beginners.items,
        _all_right(bank, "variables", "intermediate", an_hour_ago),
    )

    waiting = choose(bank, beginners, NOW)
    assert (waiting.topic, waiting.difficulty) == ("variables", "beginner")
    assert waiting.rationale.startswith("practice:")
    assert choose(bank, with_lists, NOW).topic == "control-flow"
