"""Topic mastery: 40% exercises + 30% quizzes + 20% code quality + 10% consistency, recency weighted."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnflow_common.vocabulary import mastery_level
from user_progress.domain.mastery import (
    CONSISTENCY_DAYS,
    EXERCISE_VOLUME,
    RECENCY_DECAY,
    WEIGHTS,
    Attempt,
    Mastery,
    ceiling,
    missing_evidence,
    score_of,
    topic_mastery,
)


def _exercises(*scores: int, hints: int = 0) -> list[Attempt]:
    return [Attempt("exercise", score, hints) for score in scores]


def _quizzes(*scores: int) -> list[Attempt]:
    return [Attempt("quiz", score) for score in scores]


def test_published_weights_are_40_30_20_10() -> None:
    assert WEIGHTS == {"exercise": 0.40, "quiz": 0.30, "quality": 0.20, "consistency": 0.10}


def test_no_attempts_and_no_streak_is_zero_beginner() -> None:
    mastery = topic_mastery([], 0)

    assert (mastery.score, mastery.level) == (0, "Beginner")


def test_perfect_exercises_only_give_the_exercise_and_quality_weights() -> None:
    mastery = topic_mastery(_exercises(*[100] * EXERCISE_VOLUME), 0)

    assert (mastery.exercise, mastery.quiz, mastery.quality, mastery.consistency) == (1.0, 0.0, 1.0, 0.0)
    assert mastery.score == 60


def test_perfect_quizzes_only_give_the_quiz_weight() -> None:
    mastery = topic_mastery(_quizzes(100, 100, 100), 0)

    assert (mastery.exercise, mastery.quiz, mastery.quality) == (0.0, 1.0, 0.0)
    assert mastery.score == 30


def test_full_consistency_alone_gives_ten_points() -> None:
    assert topic_mastery([], CONSISTENCY_DAYS).score == 10


def test_consistency_is_capped_at_the_consistency_days() -> None:
    assert topic_mastery([], 10 * CONSISTENCY_DAYS).consistency == 1.0


def test_consistency_grows_with_the_streak() -> None:
    assert topic_mastery([], 3).consistency == pytest.approx(3 / CONSISTENCY_DAYS)


def test_perfect_everything_is_100_and_mastered() -> None:
    mastery = topic_mastery([*_exercises(100, 100, 100), *_quizzes(100)], CONSISTENCY_DAYS)

    assert (mastery.score, mastery.level) == (100, "Mastered")


def test_reviews_count_as_quiz_scores() -> None:
    assert topic_mastery([Attempt("review", 80)], 0) == topic_mastery([Attempt("quiz", 80)], 0)


def test_lessons_do_not_change_mastery() -> None:
    attempts = [*_exercises(70), *_quizzes(60)]

    with_lessons = [Attempt("lesson", None), *attempts, Attempt("lesson", 100)]

    assert topic_mastery(with_lessons, 2) == topic_mastery(attempts, 2)


def test_ungraded_exercises_are_ignored() -> None:
    assert topic_mastery([Attempt("exercise", None), *_exercises(90)], 0) == topic_mastery(_exercises(90), 0)


@pytest.mark.parametrize(("count", "completion"), [(1, 0.3333), (2, 0.6667), (3, 1.0), (5, 1.0)])
def test_one_exercise_is_not_full_completion(count: int, completion: float) -> None:
    assert topic_mastery(_exercises(*[100] * count), 0).exercise == pytest.approx(completion, abs=1e-4)


def test_newest_attempt_weighs_most_by_recency_decay() -> None:
    old_fail = topic_mastery(_quizzes(0, 100), 0)
    new_fail = topic_mastery(_quizzes(100, 0), 0)

    assert old_fail.quiz == pytest.approx(1 / (1 + RECENCY_DECAY))
    assert new_fail.quiz == pytest.approx(RECENCY_DECAY / (1 + RECENCY_DECAY))


def test_recent_bad_score_lowers_mastery_more_than_an_old_one() -> None:
    old_bad = topic_mastery([*_exercises(20, 100, 100), *_quizzes(20, 100, 100)], 3)
    recent_bad = topic_mastery([*_exercises(100, 100, 20), *_quizzes(100, 100, 20)], 3)

    assert recent_bad.score < old_bad.score


def test_recovering_after_a_bad_start_raises_mastery() -> None:
    after_bad = topic_mastery(_quizzes(10), 0)
    after_recovery = topic_mastery(_quizzes(10, 90, 90), 0)

    assert after_recovery.score > after_bad.score


def test_hints_lower_code_quality_but_not_completion() -> None:
    unaided = topic_mastery(_exercises(100, 100, 100), 0)
    with_hints = topic_mastery(_exercises(100, 100, 100, hints=2), 0)

    assert with_hints.exercise == unaided.exercise
    assert with_hints.quality == pytest.approx(1 / 1.5)
    assert with_hints.score < unaided.score


def test_same_history_gives_same_mastery() -> None:
    history = [*_exercises(55, 80, hints=1), *_quizzes(90), Attempt("review", 40), *_exercises(95)]

    assert topic_mastery(list(history), 4) == topic_mastery(list(history), 4)


@pytest.mark.parametrize(
    ("score", "level"),
    [
        (0, "Beginner"),
        (40, "Beginner"),
        (41, "Learning"),
        (70, "Learning"),
        (71, "Proficient"),
        (90, "Proficient"),
        (91, "Mastered"),
        (100, "Mastered"),
    ],
)
def test_level_follows_the_published_bands(score: int, level: str) -> None:
    assert mastery_level(score) == level


ATTEMPTS = st.lists(
    st.one_of(
        st.builds(Attempt, st.just("exercise"), st.integers(0, 100), st.one_of(st.none(), st.integers(0, 10))),
        st.builds(Attempt, st.sampled_from(["quiz", "review"]), st.integers(0, 100)),
        st.just(Attempt("lesson", None)),
    ),
    max_size=20,
)
STREAKS = st.integers(0, 60)


BANDS = {"Beginner": range(0, 41), "Learning": range(41, 71), "Proficient": range(71, 91), "Mastered": range(91, 101)}


@given(attempts=ATTEMPTS, streak=STREAKS)
def test_mastery_is_always_within_0_and_100_and_its_level_matches_the_band(
    attempts: list[Attempt], streak: int
) -> None:
    mastery = topic_mastery(attempts, streak)

    assert 0 <= mastery.score <= 100
    assert mastery.score in BANDS[mastery.level]
    assert all(0 <= part <= 1 for part in (mastery.exercise, mastery.quiz, mastery.quality, mastery.consistency))


@given(attempts=ATTEMPTS, streak=STREAKS, extra_hints=st.integers(1, 5))
def test_more_hints_never_raise_mastery(attempts: list[Attempt], streak: int, extra_hints: int) -> None:
    more_hints = [
        Attempt(a.activity, a.score, (a.hints_used or 0) + extra_hints) if a.activity == "exercise" else a
        for a in attempts
    ]

    assert topic_mastery(more_hints, streak).score <= topic_mastery(attempts, streak).score


@given(attempts=ATTEMPTS, streak=STREAKS)
def test_longer_streak_never_lowers_mastery(attempts: list[Attempt], streak: int) -> None:
    assert topic_mastery(attempts, streak + 1).score >= topic_mastery(attempts, streak).score


# ------------------------------------------------------------------- rounding, decay, missing evidence
def test_score_rounds_half_up_at_the_learning_boundary() -> None:
    # 0.4 x 0.0125 + 0.3 x 1 + 0.1 x 1 = 0.405: 40.5 rounds to 41 (Learning), not to even 40 (Beginner)
    mastery = score_of(Mastery(0, "Beginner", exercise=0.0125, quiz=1.0, quality=0.0, consistency=1.0))

    assert (mastery.score, mastery.level) == (41, "Learning")


@pytest.mark.parametrize(("score", "level"), [(40, "Beginner"), (41, "Learning"), (70, "Learning"), (71, "Proficient")])
def test_level_boundaries(score: int, level: str) -> None:
    assert mastery_level(score) == level


def test_consistency_decays_to_zero_when_the_streak_breaks() -> None:
    mastered = topic_mastery([*_exercises(100, 100, 100), *_quizzes(100)], CONSISTENCY_DAYS)

    later = mastered.as_of(current_streak=0)

    assert (mastered.score, mastered.level) == (100, "Mastered")
    assert (later.consistency, later.score, later.level) == (0.0, 90, "Proficient")


def test_as_of_keeps_the_evidence_components() -> None:
    mastery = topic_mastery([*_exercises(80, 90), *_quizzes(70)], 2)

    later = mastery.as_of(5)

    assert (later.exercise, later.quiz, later.quality) == (mastery.exercise, mastery.quiz, mastery.quality)
    assert later.consistency == pytest.approx(5 / CONSISTENCY_DAYS)


@pytest.mark.parametrize(
    ("counts", "missing", "top"),
    [
        ({"quiz": 3}, ["exercise", "quality"], 40),
        ({"review": 1}, ["exercise", "quality"], 40),
        ({"exercise": 3}, ["quiz"], 70),
        ({"exercise": 1, "quiz": 1}, [], 100),
        ({"lesson": 2}, ["exercise", "quality", "quiz"], 10),
    ],
)
def test_missing_evidence_caps_the_reachable_mastery(counts: dict[str, int], missing: list[str], top: int) -> None:
    assert missing_evidence(counts) == missing
    assert ceiling(missing) == top


def test_quiz_only_topic_is_capped_at_its_ceiling() -> None:
    perfect = topic_mastery(_quizzes(*[100] * 10), 10 * CONSISTENCY_DAYS)

    assert perfect.score == ceiling(missing_evidence({"quiz": 10})) == 40
