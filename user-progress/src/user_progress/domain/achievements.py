"""Achievements are data (achievements.json): a metric and the threshold that unlocks it.

Metrics are computed by the learner replay after each event in time order, so an achievement's
unlock time is that of the event that crossed its threshold. Add one by adding a line to the
catalog with a metric from METRICS.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

METRICS = frozenset(
    {
        "events",
        "lessons",
        "exercises",
        "quizzes",
        "reviews",
        "perfect_quizzes",
        "longest_streak",
        "topics_mastered",
        "topics_proficient",
        "xp",
    }
)


@dataclass(frozen=True)
class Achievement:
    id: str
    title: str
    description: str
    metric: str
    threshold: int


CATALOG_PATH = Path(__file__).with_name("achievements.json")


def load_catalog(path: Path = CATALOG_PATH) -> tuple[Achievement, ...]:
    catalog = tuple(Achievement(**entry) for entry in json.loads(path.read_text()))
    unknown = {a.metric for a in catalog} - METRICS
    if unknown:
        raise ValueError(f"achievement catalog uses unknown metrics: {sorted(unknown)}")
    if len({a.id for a in catalog}) != len(catalog):
        raise ValueError("achievement ids must be unique")
    return catalog


CATALOG = load_catalog()
