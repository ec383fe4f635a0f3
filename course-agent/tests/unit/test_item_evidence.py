"""The per-item evidence the agent's projection keeps from progress events: in time order,
once per event, and bounded (the latest results of the items practised most recently)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent.domain.knowledge import (
    ITEM_RESULTS_KEPT,
    ITEMS_KEPT,
    ItemAttempt,
    LearnerKnowledge,
    apply_progress,
)
from learnflow_common.events import ItemResultV1, ProgressUpdatedV1

T0 = datetime(2026, 1, 1, tzinfo=UTC)


def _result(item_id: str, correct: bool = True, attempts: int = 1, hints_used: int = 0) -> ItemResultV1:
    return ItemResultV1(item_id=item_id, correct=correct, attempts=attempts, hints_used=hints_used)


def _progress(seq: int, items: list[ItemResultV1] | None, minutes: int | None = None) -> ProgressUpdatedV1:
    """Event ``seq`` (its ``events_recorded``), completed ``minutes`` (default: seq) after T0."""
    return ProgressUpdatedV1(
        learner_id="ada",
        source_event_id=f"e{seq}",
        activity="quiz",
        topic="loops",
        score=70,
        items=items,
        completed_at=T0 + timedelta(minutes=seq if minutes is None else minutes),
        events_recorded=seq,
        xp_earned=10,
        xp_total=10 * seq,
        level=1,
        topic_mastery=20,
        topic_level="Beginner",
        topic_next_review_at=None,
        week="2026-W01",
        week_xp=10,
    )


def _apply(events: list[ProgressUpdatedV1], knowledge: LearnerKnowledge | None = None) -> LearnerKnowledge:
    for event in events:
        knowledge = apply_progress(knowledge, f"ce-{event.events_recorded}", event)
    assert knowledge is not None
    return knowledge


def test_an_events_item_results_are_kept_per_item_in_the_order_answered() -> None:
    knowledge = _apply([_progress(1, [_result("q2", False, attempts=3, hints_used=1), _result("q1")])])

    at = T0 + timedelta(minutes=1)
    assert knowledge.items == {
        "q2": (ItemAttempt(at, 0, correct=False, attempts=3, hints_used=1),),
        "q1": (ItemAttempt(at, 1, correct=True),),
    }
    assert [item_id for item_id, _ in knowledge.item_results()] == ["q2", "q1"]


def test_an_event_without_items_adds_no_evidence() -> None:
    assert _apply([_progress(1, None), _progress(2, [])]).items == {}


def test_a_redelivered_event_adds_its_results_once() -> None:
    event = _progress(1, [_result("q1")])

    assert _apply([event, event]).items == _apply([event]).items


def test_a_late_event_takes_its_place_in_time_not_in_arrival_order() -> None:
    recorded_first = _progress(1, [_result("q1", True)], minutes=10)
    completed_earlier = _progress(2, [_result("q1", False)], minutes=5)  # sent late by an offline client

    knowledge = _apply([recorded_first, completed_earlier])

    assert [attempt.correct for attempt in knowledge.items["q1"]] == [False, True]


def test_only_the_latest_results_of_an_item_are_kept() -> None:
    events = [_progress(seq, [_result("q1", correct=seq % 2 == 0)]) for seq in range(1, 3 * ITEM_RESULTS_KEPT)]

    kept = _apply(events).items["q1"]

    assert [attempt.at for attempt in kept] == [event.completed_at for event in events[-ITEM_RESULTS_KEPT:]]


def test_the_item_practised_least_recently_is_forgotten_first() -> None:
    events = [_progress(seq, [_result(f"q{seq}")]) for seq in range(1, ITEMS_KEPT + 1)]
    knowledge = _apply(events)
    assert len(knowledge.items) == ITEMS_KEPT

    knowledge = _apply([_progress(ITEMS_KEPT + 1, [_result("q1"), _result("new")])], knowledge)

    assert len(knowledge.items) == ITEMS_KEPT
    assert "q1" in knowledge.items  # practised again: recent
    assert "q2" not in knowledge.items  # the least recent is gone
    assert "new" in knowledge.items


def test_the_evidence_stays_under_80_kb_whatever_the_history() -> None:
    events = [_progress(seq, [_result(f"{seq % 400:03d}-" + "x" * 124, hints_used=seq)]) for seq in range(1, 4_000)]

    knowledge = _apply(events)

    assert len(knowledge.items) == ITEMS_KEPT
    assert len(json.dumps(knowledge.to_dict())) < 80_000


def test_item_evidence_survives_the_stored_form() -> None:
    knowledge = _apply([_progress(1, [_result("q1"), _result("q2", False, 2, 1)]), _progress(2, [_result("q1")])])

    assert LearnerKnowledge.from_dict(json.loads(json.dumps(knowledge.to_dict()))) == knowledge


def test_a_projection_stored_before_items_existed_loads_without_evidence_and_then_gathers_it() -> None:
    stored = {
        "learner_id": "ada",
        "topics": {"loops": {"attempts": 2, "scores": [60, 70], "mastery": 20}},
        "applied_through": 2,
        "applied_above": [],
    }

    converted = LearnerKnowledge.from_dict(stored)
    after = _apply([_progress(3, [_result("q1")])], converted)

    assert converted.items == {}
    assert list(after.items) == ["q1"]


def _latest_per_item(events: list[ProgressUpdatedV1]) -> dict[str, tuple[ItemAttempt, ...]]:
    """The reference: every result of every event, sorted by time, the latest few per item."""
    results: dict[str, list[ItemAttempt]] = {}
    for event in events:
        for position, result in enumerate(event.items or ()):
            attempt = ItemAttempt(event.completed_at, position, result.correct, result.attempts, result.hints_used)
            results.setdefault(result.item_id, []).append(attempt)
    return {item_id: tuple(sorted(attempts))[-ITEM_RESULTS_KEPT:] for item_id, attempts in results.items()}


@settings(max_examples=100, deadline=None)
@given(
    st.lists(
        st.lists(st.tuples(st.sampled_from(["q1", "q2", "q3"]), st.booleans()), max_size=3, unique_by=lambda r: r[0]),
        min_size=1,
        max_size=12,
    ),
    st.randoms(use_true_random=False),
)
def test_any_completion_times_and_arrival_order_give_the_latest_results_in_time_order(
    results_per_event: list[list[tuple[str, bool]]], shuffler: random.Random
) -> None:
    minutes = list(range(len(results_per_event)))
    shuffler.shuffle(minutes)  # completed in another order than recorded
    events = [
        _progress(seq, [_result(item_id, correct) for item_id, correct in results], minutes=minute)
        for seq, (results, minute) in enumerate(zip(results_per_event, minutes, strict=True), start=2)
    ]
    arrival = list(events)
    shuffler.shuffle(arrival)  # redelivered out of order after the learner's first event

    knowledge = _apply([_progress(1, None), *arrival])

    assert knowledge.items == _latest_per_item(events)
