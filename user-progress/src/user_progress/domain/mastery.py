"""Topic mastery (0-100), by the platform's published formula.

    mastery = 40% exercise completion + 30% quiz scores + 20% code quality + 10% consistency

How each component (0..1) is computed from a topic's events, oldest to newest:

- exercise completion: the recency-weighted mean exercise score / 100, scaled by
  min(1, exercises / EXERCISE_VOLUME) so that one lucky exercise is not completion;
- quiz scores: the recency-weighted mean quiz (and review) score / 100;
- code quality: the recency-weighted mean over exercises of score / 100 x 1 / (1 + HINT_COST x hints),
  i.e. solving without hints;
- consistency: min(1, the learner's current streak / CONSISTENCY_DAYS). Folded, it is the streak
  on the topic's latest active day; a status read takes it as of the moment asked
  (:meth:`Mastery.as_of`), so it decays to 0 when the learner stops and the streak breaks.

The formula is not renormalised over the evidence present: a topic practised only with quizzes
reaches at most 40 (quiz 30 + consistency 10), one practised only with exercises at most 70.
:func:`missing_evidence` and :func:`ceiling` say so, and the status reports both. The score is
rounded half up (40.5 -> 41, Learning), so a boundary is never decided by banker's rounding.

Recency: the newest attempt has weight 1, the one before RECENCY_DECAY, then RECENCY_DECAY**2, ...
Weights go by position, not by age, so the same history always gives the same mastery. Only the
newest RECENCY_WINDOW exercises and RECENCY_WINDOW quiz/review scores count: the next one would
weigh 0.8**50 (1e-5) and cannot move a rounded component, and a bounded window is what lets the
stored state stay the same size for a learner's whole life.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from learnflow_common.vocabulary import MasteryLevel, mastery_level

WEIGHTS = {"exercise": 0.40, "quiz": 0.30, "quality": 0.20, "consistency": 0.10}
RECENCY_DECAY = 0.8
EXERCISE_VOLUME = 3
HINT_COST = 0.25
CONSISTENCY_DAYS = 7
RECENCY_WINDOW = 50


@dataclass(frozen=True)
class Attempt:
    activity: str
    score: int | None
    hints_used: int | None = None


@dataclass(frozen=True)
class Mastery:
    """The score and its components (0..1, unrounded: the score is computed from them)."""

    score: int
    level: MasteryLevel
    exercise: float
    quiz: float
    quality: float
    consistency: float

    def as_of(self, current_streak: int) -> Mastery:
        """The same mastery with consistency taken from the learner's current streak."""
        return score_of(replace(self, consistency=consistency_of(current_streak)))


def round_half_up(value: float) -> int:
    """40.5 -> 41. The float sum of weighted components is rounded to 9 places first, so 40.5
    computed as 40.49999999999999 still rounds up."""
    return math.floor(round(value, 9) + 0.5)


def consistency_of(streak: int) -> float:
    return min(1.0, streak / CONSISTENCY_DAYS)


def score_of(mastery: Mastery) -> Mastery:
    """The mastery with its score and level recomputed from its components."""
    total = (
        WEIGHTS["exercise"] * mastery.exercise
        + WEIGHTS["quiz"] * mastery.quiz
        + WEIGHTS["quality"] * mastery.quality
        + WEIGHTS["consistency"] * mastery.consistency
    )
    score = max(0, min(100, round_half_up(total * 100)))
    return replace(mastery, score=score, level=mastery_level(score))


def _recency_mean(values: Sequence[float]) -> float:
    if not values:
        return 0.0
    weights = [RECENCY_DECAY**age for age in range(len(values) - 1, -1, -1)]
    return sum(w * v for w, v in zip(weights, values, strict=True)) / sum(weights)


def topic_mastery(attempts: Sequence[Attempt], streak_on_last_active_day: int) -> Mastery:
    """``attempts`` oldest first."""
    exercises = [(a.score, a.hints_used or 0) for a in attempts if a.activity == "exercise" and a.score is not None][
        -RECENCY_WINDOW:
    ]
    quizzes = [a.score for a in attempts if a.activity in ("quiz", "review") and a.score is not None][-RECENCY_WINDOW:]
    exercise = _recency_mean([score / 100 for score, _ in exercises]) * min(1.0, len(exercises) / EXERCISE_VOLUME)
    quiz = _recency_mean([score / 100 for score in quizzes])
    quality = _recency_mean([(score / 100) / (1 + HINT_COST * hints) for score, hints in exercises])
    return score_of(Mastery(0, "Beginner", exercise, quiz, quality, consistency_of(streak_on_last_active_day)))


#: The mastery components that need graded attempts (consistency needs none).
Evidence = Literal["exercise", "quiz", "quality"]


def missing_evidence(counts: dict[str, int]) -> list[Evidence]:
    """The components a topic has no evidence for yet, from its activity counts (graded attempts:
    exercises feed exercise and quality; quizzes and reviews feed quiz)."""
    missing: list[Evidence] = []
    if not counts.get("exercise"):
        missing += ["exercise", "quality"]
    if not (counts.get("quiz") or counts.get("review")):
        missing.append("quiz")
    return missing


def ceiling(missing: Sequence[str]) -> int:
    """The highest score reachable while those components have no evidence."""
    return round_half_up(100 * (1 - sum(WEIGHTS[name] for name in missing)))
