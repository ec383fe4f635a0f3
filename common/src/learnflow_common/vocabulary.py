"""The words both services use for a learner's work, each defined once.

What a learner did (activities), how well they know a topic (mastery levels, from a 0-100 score)
and how hard a lesson is (difficulties). The event contracts, the User Progress domain and the
Course Agent's generator all take them from here, so the event schemas, the API and the rules
cannot drift apart. Pure: types and constants only.
"""

from __future__ import annotations

from typing import Literal, get_args

Activity = Literal["lesson", "exercise", "quiz", "review"]
ACTIVITIES: tuple[Activity, ...] = get_args(Activity)
#: The activities whose score counts (XP, mastery, reviews); a lesson's score, if sent, does not.
GRADED_ACTIVITIES: frozenset[Activity] = frozenset({"exercise", "quiz", "review"})

MasteryLevel = Literal["Beginner", "Learning", "Proficient", "Mastered"]
#: The lowest mastery score of each level: 0-40 Beginner, 41-70 Learning, 71-90 Proficient, 91-100 Mastered.
LEARNING = 41
PROFICIENT = 71
MASTERED = 91

Difficulty = Literal["beginner", "intermediate", "advanced"]
DIFFICULTIES: tuple[Difficulty, ...] = get_args(Difficulty)


def mastery_level(score: int) -> MasteryLevel:
    """The level of a mastery score (0-100)."""
    if score < LEARNING:
        return "Beginner"
    if score < PROFICIENT:
        return "Learning"
    if score < MASTERED:
        return "Proficient"
    return "Mastered"
