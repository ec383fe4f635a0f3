"""XP: base per activity plus a point per 10 score points; level L starts at 100 x L x (L - 1) / 2 XP."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from learnflow_common.vocabulary import Activity
from user_progress.domain.events import LearningEvent
from user_progress.domain.learner import replay
from user_progress.domain.xp import LEVEL_STEP, Level, event_xp, level_for, level_start

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)


def _event(activity: Activity, score: int | None, event_id: str = "e1", at: datetime = T0) -> LearningEvent:
    return LearningEvent(
        event_id=event_id, learner_id="ada", activity=activity, topic="loops", completed_at=at, score=score
    )


@pytest.mark.parametrize(
    ("activity", "score", "xp"),
    [
        ("lesson", None, 10),
        ("exercise", None, 10),
        ("exercise", 0, 10),
        ("exercise", 9, 10),
        ("exercise", 10, 11),
        ("exercise", 100, 20),
        ("quiz", 95, 19),
        ("quiz", 100, 20),
        ("review", None, 5),
        ("review", 80, 13),
        ("review", 99, 14),
    ],
)
def test_event_xp_is_activity_base_plus_a_point_per_ten_score_points(
    activity: Activity, score: int | None, xp: int
) -> None:
    assert event_xp(_event(activity, score)) == xp


@pytest.mark.parametrize(("level", "start"), [(1, 0), (2, 100), (3, 300), (4, 600), (5, 1000), (10, 4500)])
def test_level_starts_at_the_published_thresholds(level: int, start: int) -> None:
    assert level_start(level) == start


@pytest.mark.parametrize(
    ("xp", "expected"),
    [
        (0, Level(1, 0, 100)),
        (99, Level(1, 99, 1)),
        (100, Level(2, 0, 200)),
        (299, Level(2, 199, 1)),
        (300, Level(3, 0, 300)),
        (599, Level(3, 299, 1)),
        (600, Level(4, 0, 400)),
        (999, Level(4, 399, 1)),
        (1000, Level(5, 0, 500)),
    ],
)
def test_level_boundaries_are_exact(xp: int, expected: Level) -> None:
    assert level_for(xp) == expected


@given(xp=st.integers(0, 10**9))
def test_xp_always_lies_within_its_level(xp: int) -> None:
    level = level_for(xp)

    assert level_start(level.level) <= xp < level_start(level.level + 1)
    assert level.xp_into_level + level.xp_for_next_level == LEVEL_STEP * level.level


@given(xp=st.integers(0, 10**6))
def test_more_xp_never_lowers_the_level(xp: int) -> None:
    assert level_for(xp + 1).level >= level_for(xp).level


def test_learner_xp_is_the_sum_of_event_xp() -> None:
    events = [
        _event("lesson", None, "a", T0),
        _event("exercise", 87, "b", T0 + timedelta(hours=1)),
        _event("quiz", 100, "c", T0 + timedelta(days=1)),
        _event("review", 42, "d", T0 + timedelta(days=2)),
    ]

    assert replay("ada", events).xp == 10 + 18 + 20 + 9
