"""Experience points and levels.

Each event earns its activity's base XP plus, for a graded activity (exercise, quiz, review), one
point per 10 score points (a 95% quiz: 10 + 9). A lesson earns its base XP only, score or not.
Level L starts at LEVEL_STEP x L x (L - 1) / 2 XP: 0, 100, 300, 600, 1000, ... so each level takes
LEVEL_STEP more XP than the one before.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from user_progress.domain.events import LearningEvent

BASE_XP = {"lesson": 10, "exercise": 10, "quiz": 10, "review": 5}
LEVEL_STEP = 100


def event_xp(event: LearningEvent) -> int:
    score = event.graded_score
    return BASE_XP[event.activity] + (score // 10 if score is not None else 0)


def level_start(level: int) -> int:
    return LEVEL_STEP * level * (level - 1) // 2


@dataclass(frozen=True)
class Level:
    level: int
    xp_into_level: int
    xp_for_next_level: int


def level_for(xp: int) -> Level:
    level = int((1 + math.sqrt(1 + 8 * xp / LEVEL_STEP)) // 2)
    while level_start(level + 1) <= xp:  # guard against float rounding at boundaries
        level += 1
    while level_start(level) > xp:
        level -= 1
    return Level(level, xp - level_start(level), level_start(level + 1) - xp)
