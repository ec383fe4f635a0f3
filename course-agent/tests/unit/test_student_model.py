"""Bayesian knowledge tracing: P(known) per concept from item results, oldest first."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent.domain.knowledge import ItemAttempt
from course_agent.domain.student_model import (
    DEFAULT_PARAMETERS,
    BktParameters,
    concept_mastery,
    evidence_strength,
    update,
)

probabilities = st.floats(0.0, 1.0, allow_nan=False)
#: a belief that evidence can move (0 and 1 are certainties: Bayes' rule keeps them, bar learning)
beliefs = st.floats(0.001, 0.999)
attempts = st.integers(1, 20)
hints = st.integers(0, 20)


@st.composite
def parameters(draw: st.DrawFn) -> BktParameters:
    guess = draw(st.floats(0.01, 0.6))
    slip = draw(st.floats(0.01, min(0.39, 0.98 - guess)))
    return BktParameters(prior=draw(probabilities), learn=draw(st.floats(0.0, 0.5)), guess=guess, slip=slip)


@dataclass(frozen=True)
class Result:
    correct: bool
    attempts: int = 1
    hints_used: int = 0


def _trace(outcomes: list[bool], p: float = DEFAULT_PARAMETERS.prior) -> float:
    for correct in outcomes:
        p = update(p, correct)
    return p


def test_one_first_try_correct_answer_from_the_prior_is_the_textbook_posterior_then_learning() -> None:
    posterior = 0.2 * 0.9 / (0.2 * 0.9 + 0.8 * 0.2)  # 0.529...

    assert update(0.2, correct=True) == pytest.approx(posterior + (1 - posterior) * 0.15)


def test_one_wrong_answer_from_the_prior_is_the_textbook_posterior_then_learning() -> None:
    posterior = 0.2 * 0.1 / (0.2 * 0.1 + 0.8 * 0.8)

    assert update(0.2, correct=False) == pytest.approx(posterior + (1 - posterior) * 0.15)


def test_each_extra_try_or_hint_weakens_a_correct_answer() -> None:
    first_try = update(0.3, True)
    second_try = update(0.3, True, attempts=2)
    with_a_hint = update(0.3, True, hints_used=1)
    with_much_help = update(0.3, True, attempts=3, hints_used=3)

    assert first_try > second_try == with_a_hint > with_much_help
    assert evidence_strength(2, 0) == evidence_strength(1, 1) == 0.5


def test_a_wrong_answer_is_full_evidence_whatever_the_help() -> None:
    assert update(0.6, False, attempts=4, hints_used=2) == update(0.6, False)


def test_parameters_that_would_make_a_correct_answer_evidence_of_not_knowing_are_refused() -> None:
    with pytest.raises(ValueError, match="guess \\+ slip"):
        BktParameters(guess=0.6, slip=0.5)
    with pytest.raises(ValueError, match="probability"):
        BktParameters(learn=1.5)


@settings(max_examples=300, deadline=None)
@given(probabilities, st.booleans(), attempts, hints, parameters())
def test_p_known_stays_a_probability(p: float, correct: bool, tries: int, hint_count: int, bkt: BktParameters) -> None:
    assert 0.0 <= update(p, correct, tries, hint_count, bkt) <= 1.0


@settings(max_examples=300, deadline=None)
@given(probabilities, attempts, hints, parameters())
def test_a_correct_answer_never_leaves_p_known_below_a_wrong_one_from_the_same_state(
    p: float, tries: int, hint_count: int, bkt: BktParameters
) -> None:
    right, wrong = update(p, True, tries, hint_count, bkt), update(p, False, tries, hint_count, bkt)

    # where both saturate near 1 (p = 1 - 1e-16) they are equal but for the last bit of rounding
    assert right >= wrong or right == pytest.approx(wrong, abs=1e-12)


@settings(max_examples=200, deadline=None)
@given(beliefs)
def test_many_correct_answers_converge_high_and_many_wrong_ones_low(p: float) -> None:
    assert _trace([True] * 15, p) > 0.95
    # never below `learn`: every practice is a chance to learn (the fixed point is about 0.17)
    assert _trace([False] * 15, p) < 0.2


@settings(max_examples=200, deadline=None)
@given(beliefs, st.integers(1, 8), st.integers(1, 8))
def test_recent_results_weigh_more_than_the_same_results_earlier(p: float, rights: int, wrongs: int) -> None:
    improving = _trace([False] * wrongs + [True] * rights, p)
    declining = _trace([True] * rights + [False] * wrongs, p)

    assert improving > declining


@settings(max_examples=200, deadline=None)
@given(st.lists(st.booleans(), max_size=10), beliefs)
def test_the_last_answer_decides_the_direction_of_a_swap(history: list[bool], p: float) -> None:
    last_right, last_wrong = _trace([*history, False, True], p), _trace([*history, True, False], p)

    # where both saturate near 1 they are equal but for the last bit of rounding
    assert last_right >= last_wrong or last_right == pytest.approx(last_wrong, abs=1e-12)


def test_concept_mastery_traces_each_concept_from_the_items_that_exercise_it() -> None:
    concepts = {"for-1": ("loops", "range"), "while-1": ("loops",), "len-1": ("strings",)}
    results = [("for-1", Result(True)), ("while-1", Result(False)), ("len-1", Result(True, hints_used=2))]

    mastery = concept_mastery(results, lambda item: concepts.get(item, ()))

    assert mastery == {
        "loops": pytest.approx(update(update(0.2, True), False)),
        "range": pytest.approx(update(0.2, True)),
        "strings": pytest.approx(update(0.2, True, hints_used=2)),
    }


def test_items_the_bank_does_not_know_are_ignored_and_concepts_without_evidence_are_absent() -> None:
    mastery = concept_mastery([("retired-item", Result(False))], lambda item: ())

    assert mastery == {}


def test_a_concept_listed_twice_for_an_item_counts_its_result_once() -> None:
    twice = concept_mastery([("for-1", Result(True))], lambda item: ("loops", "loops"))

    assert twice == {"loops": pytest.approx(update(0.2, True))}


def test_the_projections_results_are_the_models_input() -> None:
    at = datetime(2026, 1, 1, tzinfo=UTC)
    results = [("for-1", ItemAttempt(at, 0, correct=True)), ("for-2", ItemAttempt(at, 1, correct=False, attempts=2))]

    assert concept_mastery(results, lambda item: ("loops",)) == {"loops": pytest.approx(_trace([True, False]))}
