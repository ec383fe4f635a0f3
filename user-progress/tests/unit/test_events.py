"""Learning events: canonical order by time then id, fingerprints recognise redeliveries."""

from __future__ import annotations

from dataclasses import asdict, replace
from datetime import UTC, datetime, timedelta, timezone
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from user_progress.domain.events import ItemResult, LearningEvent, as_datetime

T0 = datetime(2026, 6, 1, 9, 0, tzinfo=UTC)
EVENT = LearningEvent(
    event_id="e1",
    learner_id="ada",
    activity="exercise",
    topic="loops",
    completed_at=T0,
    score=80,
    duration_seconds=300,
    hints_used=1,
    timezone="Europe/Berlin",
    lesson_id="lesson-1",
)
ITEMS = (ItemResult("loops-for-1", correct=True), ItemResult("loops-while-2", correct=False, attempts=3, hints_used=2))
#: EVENT's fingerprint before items existed: stored ``id-`` values hold it, so it must never change.
FINGERPRINT_BEFORE_ITEMS = "647f17cd0214a96d629b948bbc844f283505b5d907388ba560ba7f12671a47aa"


def test_same_body_has_the_same_fingerprint() -> None:
    assert replace(EVENT).fingerprint() == EVENT.fingerprint()


@pytest.mark.parametrize(
    "change",
    [
        {"score": 81},
        {"hints_used": 0},
        {"topic": "strings"},
        {"activity": "quiz"},
        {"completed_at": T0 + timedelta(seconds=1)},
        {"timezone": None},
        {"lesson_id": None},
        {"duration_seconds": 301},
    ],
)
def test_any_changed_field_changes_the_fingerprint(change: dict[str, object]) -> None:
    assert replace(EVENT, **change).fingerprint() != EVENT.fingerprint()  # type: ignore[arg-type]


def test_an_event_without_items_keeps_the_fingerprint_it_had_before_items_existed() -> None:
    assert EVENT.fingerprint() == FINGERPRINT_BEFORE_ITEMS
    assert "items" not in EVENT.to_dict()


@pytest.mark.parametrize(
    "items",
    [
        ITEMS,
        ITEMS[:1],
        ITEMS[::-1],
        (replace(ITEMS[0], correct=False),),
        (replace(ITEMS[0], attempts=2),),
        (replace(ITEMS[0], hints_used=1),),
    ],
)
def test_items_take_part_in_the_fingerprint_so_a_reused_event_id_with_other_items_conflicts(
    items: tuple[ItemResult, ...],
) -> None:
    with_items = replace(EVENT, items=ITEMS)

    assert replace(EVENT, items=items).fingerprint() != EVENT.fingerprint()
    if items != ITEMS:
        assert replace(EVENT, items=items).fingerprint() != with_items.fingerprint()


def stored_form_by_asdict(event: LearningEvent) -> dict[str, Any]:
    """The reference: the stored form as ``dataclasses.asdict`` gives it (what ``to_dict`` did
    before it read the fields one by one)."""
    data = {name: value for name, value in asdict(event).items() if name != "items"}
    data["completed_at"] = event.completed_at.isoformat()
    if event.items:
        data["items"] = [asdict(item) for item in event.items]
    return data


OFFSET_ZONES = [UTC, timezone(timedelta(hours=-7)), timezone(timedelta(hours=5, minutes=30))]
OPTIONAL_TEXT = st.one_of(st.none(), st.text(max_size=12))
OPTIONAL_COUNT = st.one_of(st.none(), st.integers(0, 10_000))
ITEM_RESULTS = st.builds(
    ItemResult, st.text(min_size=1, max_size=12), st.booleans(), st.integers(1, 9), st.integers(0, 9)
)
EVENTS = st.builds(
    LearningEvent,
    event_id=st.text(min_size=1, max_size=16),
    learner_id=st.text(min_size=1, max_size=16),
    activity=st.sampled_from(["lesson", "exercise", "quiz", "review"]),
    topic=st.text(min_size=1, max_size=16),
    completed_at=st.datetimes(timezones=st.sampled_from(OFFSET_ZONES)),
    score=OPTIONAL_COUNT,
    duration_seconds=OPTIONAL_COUNT,
    hints_used=OPTIONAL_COUNT,
    timezone=OPTIONAL_TEXT,
    lesson_id=OPTIONAL_TEXT,
    items=st.lists(ITEM_RESULTS, max_size=4).map(tuple),
)


@settings(max_examples=300, deadline=None)
@given(event=EVENTS)
def test_the_stored_form_is_the_one_dataclasses_asdict_gives(event: LearningEvent) -> None:
    stored = event.to_dict()

    assert stored == stored_form_by_asdict(event)
    assert list(stored) == list(stored_form_by_asdict(event))  # the same key order, so the same JSON text
    assert LearningEvent.from_dict(stored) == event


def test_event_survives_its_serialised_form() -> None:
    assert LearningEvent.from_dict(EVENT.to_dict()) == EVENT


def test_items_survive_the_serialised_and_the_logged_form_in_order() -> None:
    event = replace(EVENT, items=ITEMS)

    assert LearningEvent.from_dict(event.to_dict()) == event
    assert LearningEvent.from_log("ada", event.to_log()) == event
    assert LearningEvent.from_log("ada", event.to_log()).items == ITEMS


def test_a_logged_event_stored_before_items_existed_loads_with_none() -> None:
    stored = {"event_id": "e1", "activity": "lesson", "topic": "loops", "completed_at": T0.isoformat()}

    assert LearningEvent.from_log("ada", stored).items == ()


def test_serialised_form_accepts_a_datetime_already_parsed() -> None:
    assert LearningEvent.from_dict({**EVENT.to_dict(), "completed_at": T0}) == EVENT


def test_as_datetime_parses_iso_strings_with_offsets() -> None:
    parsed = as_datetime("2026-06-01T11:00:00+02:00")

    assert parsed == T0
    assert parsed.utcoffset() == timedelta(hours=2)


def test_history_order_is_by_time_then_by_id() -> None:
    later = replace(EVENT, event_id="a", completed_at=T0 + timedelta(minutes=1))
    same_time_b = replace(EVENT, event_id="b")
    same_time_a = replace(EVENT, event_id="a")

    ordered = sorted([later, same_time_b, same_time_a], key=lambda event: event.sort_key)

    assert ordered == [same_time_a, same_time_b, later]


def test_order_compares_instants_not_wall_clock_offsets() -> None:
    # 10:30 at +02:00 is 08:30 UTC: before 09:00 UTC even though the wall clock reads later.
    earlier_elsewhere = replace(
        EVENT, event_id="z", completed_at=datetime(2026, 6, 1, 10, 30, tzinfo=timezone(timedelta(hours=2)))
    )

    assert earlier_elsewhere.sort_key < EVENT.sort_key
