"""Achievements: a data catalog of metric thresholds, unlocked at the crossing event, announced exactly once."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from learnflow_common.vocabulary import Activity
from user_progress.domain.achievements import CATALOG, METRICS, Achievement, load_catalog
from user_progress.domain.events import LearningEvent
from user_progress.domain.learner import LearnerRecord, record_event, replay

T0 = datetime(2026, 1, 5, 8, 0, tzinfo=UTC)
TOPICS = ("variables", "loops", "functions", "strings", "lists", "dicts")
ENTRY = {"id": "x", "title": "X", "description": "An achievement.", "metric": "events", "threshold": 1}


def _event(event_id: str, at: datetime, activity: Activity = "lesson", score: int | None = None) -> LearningEvent:
    return LearningEvent(
        event_id=event_id, learner_id="ada", activity=activity, topic="loops", completed_at=at, score=score
    )


def _deliver(events: list[LearningEvent], record: LearnerRecord | None = None) -> tuple[LearnerRecord, list[str]]:
    """Records events in the given arrival order; returns the record and every announcement made."""
    announced: list[str] = []
    for event in events:
        result = record_event(record, event)
        record = result.record
        announced += [achievement.id for achievement in result.newly_unlocked]
    assert record is not None
    return record, announced


def _month_of_learning() -> list[LearningEvent]:
    """31 days of a lesson, a perfect exercise, quiz and review a day, rotating over six topics."""
    day_plan: list[tuple[Activity, int | None]] = [("lesson", None), ("exercise", 100), ("quiz", 100), ("review", 100)]
    return [
        LearningEvent(
            event_id=f"d{day:02d}-{i}",
            learner_id="ada",
            activity=activity,
            topic=TOPICS[day % len(TOPICS)],
            completed_at=T0 + timedelta(days=day, minutes=i),
            score=score,
        )
        for day in range(31)
        for i, (activity, score) in enumerate(day_plan)
    ]


def _write_catalog(tmp_path: Path, entries: list[dict[str, Any]]) -> Path:
    path = tmp_path / "achievements.json"
    path.write_text(json.dumps(entries))
    return path


# --------------------------------------------------------------------------------------- catalog
def test_shipped_catalog_loads_with_unique_ids_and_known_metrics() -> None:
    ids = [achievement.id for achievement in CATALOG]

    assert len(ids) == len(set(ids)) > 0
    assert {achievement.metric for achievement in CATALOG} <= METRICS
    assert all(achievement.threshold > 0 for achievement in CATALOG)


def test_catalog_file_with_a_known_metric_adds_an_achievement(tmp_path: Path) -> None:
    catalog = load_catalog(_write_catalog(tmp_path, [ENTRY]))

    assert catalog == (Achievement("x", "X", "An achievement.", "events", 1),)


def test_catalog_with_an_unknown_metric_is_rejected(tmp_path: Path) -> None:
    path = _write_catalog(tmp_path, [ENTRY, {**ENTRY, "id": "y", "metric": "naps_taken"}])

    with pytest.raises(ValueError, match="naps_taken"):
        load_catalog(path)


def test_catalog_with_a_duplicate_id_is_rejected(tmp_path: Path) -> None:
    path = _write_catalog(tmp_path, [ENTRY, {**ENTRY, "title": "X again"}])

    with pytest.raises(ValueError, match="unique"):
        load_catalog(path)


def test_catalog_entry_with_a_missing_field_is_rejected(tmp_path: Path) -> None:
    path = _write_catalog(tmp_path, [{key: value for key, value in ENTRY.items() if key != "threshold"}])

    with pytest.raises(TypeError):
        load_catalog(path)


# ---------------------------------------------------------------------------------------- unlocks
def test_month_of_learning_unlocks_every_achievement_in_the_catalog() -> None:
    state = replay("ada", _month_of_learning())

    assert set(state.unlocked) == {achievement.id for achievement in CATALOG}


def test_each_achievement_is_announced_exactly_once_across_many_events_in_any_arrival_order() -> None:
    events = _month_of_learning()
    random.Random(7).shuffle(events)

    record, announced = _deliver(events)
    _, announced_on_redelivery = _deliver(events, record)

    assert sorted(announced) == sorted(achievement.id for achievement in CATALOG)
    assert set(record.announced) == set(announced)
    assert announced_on_redelivery == []


def test_achievement_is_not_announced_before_its_threshold() -> None:
    _, announced = _deliver([_event(f"l{i}", T0 + timedelta(hours=i)) for i in range(9)])

    assert "lesson-learner" not in announced


def test_unlock_time_is_the_event_that_crossed_the_threshold() -> None:
    lessons = [_event(f"l{i:02d}", T0 + timedelta(hours=i)) for i in range(12)]

    state = replay("ada", lessons)

    assert state.unlocked["lesson-learner"] == lessons[9].completed_at
    assert state.unlocked["first-steps"] == lessons[0].completed_at


def test_unlock_time_is_the_crossing_event_even_when_events_arrive_in_reverse() -> None:
    lessons = [_event(f"l{i:02d}", T0 + timedelta(hours=i)) for i in range(12)]

    reversed_record, announced = _deliver(list(reversed(lessons)))

    assert announced.count("lesson-learner") == 1
    assert record_event(reversed_record, lessons[0]).state.unlocked["lesson-learner"] == lessons[9].completed_at


def test_streak_achievement_unlocks_at_the_third_day_even_when_that_day_arrived_first() -> None:
    days = [_event(f"day{i}", T0 + timedelta(days=i)) for i in range(3)]

    record, announced = _deliver([days[2], days[0], days[1]])

    assert announced.count("on-a-roll") == 1
    assert record.announced["on-a-roll"] == days[2].completed_at


def test_late_earlier_event_moves_the_unlock_time_without_announcing_again() -> None:
    lessons = [_event(f"l{i:02d}", T0 + timedelta(hours=i)) for i in range(11)]
    record, _ = _deliver(lessons[1:])  # ten lessons: the last one crossed the threshold

    late = record_event(record, lessons[0])

    assert late.newly_unlocked == ()
    assert late.state.unlocked["lesson-learner"] == lessons[9].completed_at


def test_perfect_quiz_unlocks_flawless_but_a_perfect_exercise_or_review_does_not() -> None:
    not_quizzes = replay("ada", [_event("a", T0, "exercise", 100), _event("r", T0, "review", 100)])
    with_quiz = replay("ada", [_event("a", T0, "exercise", 100), _event("b", T0 + timedelta(hours=1), "quiz", 100)])

    assert "flawless" not in not_quizzes.unlocked
    assert with_quiz.unlocked["flawless"] == T0 + timedelta(hours=1)


def test_xp_achievement_unlocks_at_the_event_reaching_1000_xp() -> None:
    quizzes = [_event(f"q{i:02d}", T0 + timedelta(minutes=i), "quiz", 100) for i in range(51)]  # 20 XP each

    state = replay("ada", quizzes)

    assert state.unlocked["xp-1000"] == quizzes[49].completed_at
