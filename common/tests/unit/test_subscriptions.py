"""Parsing deliveries: what is undeliverable goes to the dead letters instead of looping."""

from __future__ import annotations

import pytest

from learnflow_common.events import ProgressUpdatedV1
from learnflow_common.subscriptions import UndeliverableEvent, parse_event

VALID_DATA = {
    "learner_id": "ada",
    "source_event_id": "e1",
    "activity": "lesson",
    "topic": "variables",
    "completed_at": "2026-01-01T00:00:00Z",
    "events_recorded": 1,
    "xp_earned": 10,
    "xp_total": 10,
    "level": 1,
    "topic_mastery": 0,
    "topic_level": "Beginner",
    "topic_next_review_at": "2026-01-02T00:00:00Z",
    "week": "2026-W01",
    "week_xp": 10,
}


def _envelope(**overrides: object) -> dict[str, object]:
    return {
        "specversion": "1.0",
        "id": "1",
        "source": "user-progress",
        "type": "learnflow.progress.updated.v1",
        "data": VALID_DATA,
        **overrides,
    }


def test_valid_delivery_parses_to_its_model() -> None:
    envelope, data = parse_event({**_envelope(), "topic": "progress-events", "traceid": "00-ab"})

    assert envelope.id == "1"
    assert isinstance(data, ProgressUpdatedV1)


@pytest.mark.parametrize(
    "body",
    [
        {"not": "a cloud event"},
        _envelope(type="learnflow.unknown.v1"),
        _envelope(data={**VALID_DATA, "activity": "sleeping"}),
    ],
    ids=["not-a-cloudevent", "unknown-type", "invalid-data"],
)
def test_malformed_delivery_is_undeliverable(body: dict[str, object]) -> None:
    with pytest.raises(UndeliverableEvent):
        parse_event(body)
