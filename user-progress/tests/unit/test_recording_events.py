"""Recording learning events: idempotent on event_id, order-independent."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from user_progress.domain.events import EventConflict, LearningEvent
from user_progress.domain.learner import LearnerRecord, record_event

T0 = datetime(2026, 11, 22, 9, 0, tzinfo=UTC)


def _event(event_id: str, at: datetime = T0, activity: str = "quiz", score: int | None = 80) -> LearningEvent:
    return LearningEvent(
        event_id=event_id,
        learner_id="ada",
        activity=activity,
        topic="variables",
        completed_at=at,
        score=score,  # type: ignore[arg-type]
    )


def test_first_event_creates_the_record() -> None:
    result = record_event(None, _event("e1"))

    assert not result.duplicate
    assert len(result.record.events) == 1
    assert result.state.activity_counts["quiz"] == 1


def test_redelivered_event_changes_nothing() -> None:
    once = record_event(None, _event("e1")).record

    again = record_event(once, _event("e1"))

    assert again.duplicate
    assert again.record == once
    assert again.newly_unlocked == ()


def test_reused_event_id_with_a_different_body_is_a_conflict() -> None:
    once = record_event(None, _event("e1")).record

    with pytest.raises(EventConflict):
        record_event(once, _event("e1", score=10))


def test_out_of_order_events_give_the_same_state_as_in_order() -> None:
    early, late = _event("e1", T0), _event("e2", T0 + timedelta(days=1), activity="lesson", score=None)

    in_order = record_event(record_event(None, early).record, late)
    reversed_order = record_event(record_event(None, late).record, early)

    assert in_order.state == reversed_order.state
    assert in_order.state.last_activity_at == late.completed_at


def test_record_survives_its_serialised_form() -> None:
    record = record_event(record_event(None, _event("e1")).record, _event("e2", T0 + timedelta(hours=1))).record

    assert LearnerRecord.from_dict(record.to_dict()) == record


def test_first_event_unlocks_first_steps_once() -> None:
    first = record_event(None, _event("e1"))
    second = record_event(first.record, _event("e2", T0 + timedelta(hours=1)))

    assert [a.id for a in first.newly_unlocked] == ["first-steps"]
    assert second.newly_unlocked == ()
    assert second.record.announced["first-steps"] == T0
