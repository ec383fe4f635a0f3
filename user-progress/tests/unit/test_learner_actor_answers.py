"""What the learner actor answers, decided by pure functions: pages of the log and of the lessons,
RecordEvent's answer, and the JSON each actor method sends through the sidecar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

from learnflow_common.memory import MemoryStore, run_in_memory
from user_progress import ledger
from user_progress.adapters.actor_interface import GET_DAYS, GET_SNAPSHOT, READ_LOG, RECORD_EVENT, LogPage, Recorded
from user_progress.domain.events import LearningEvent

T0 = datetime(2026, 3, 1, 8, 0, tzinfo=UTC)


def _event(number: int, at: datetime) -> LearningEvent:
    return LearningEvent(f"e{number:03d}", "ada", "quiz", "loops", at, score=80)


def _store(events: list[LearningEvent]) -> MemoryStore:
    store = MemoryStore()
    for event in events:
        store.apply(run_in_memory(ledger.record(store, "ada", event)).changes)
    return store


def _pages(store: MemoryStore, page_events: int) -> list[list[str]]:
    snapshot = run_in_memory(ledger.load_snapshot(store))
    pages, cursor = [], None
    while True:
        events, cursor = run_in_memory(ledger.log_page(store, snapshot, cursor, page_events))
        pages.append([event.event_id for event in events])
        if cursor is None:
            return pages


def test_the_log_is_read_in_whole_utc_days_once_a_page_is_full() -> None:
    events = [_event(day * 3 + i, T0 + timedelta(days=day, hours=i)) for day in range(4) for i in range(3)]
    store = _store(events)

    pages = _pages(store, page_events=4)

    assert pages == [[e.event_id for e in events[:6]], [e.event_id for e in events[6:]]]


def test_every_event_is_on_exactly_one_page_whatever_the_page_size() -> None:
    events = [_event(i, T0 + timedelta(hours=7 * i)) for i in range(30)]
    store = _store(events)

    for page_events in (1, 2, 5, 1000):
        assert [event_id for page in _pages(store, page_events) for event_id in page] == [e.event_id for e in events]


def test_a_learner_without_a_snapshot_has_an_empty_log_and_no_lessons() -> None:
    store = MemoryStore()

    assert run_in_memory(ledger.log_page(store, None, None)) == ([], None)
    assert run_in_memory(ledger.lessons_page(store, None, None)) == ({}, None)


def test_lessons_are_read_a_month_at_a_time_from_the_cursor_on() -> None:
    store = MemoryStore()
    for number, at in enumerate([T0, T0 + timedelta(days=40), T0 + timedelta(days=41), T0 + timedelta(days=100)]):
        snapshot, changes = run_in_memory(ledger.assign_lesson(store, "ada", f"lesson-{number}", "loops", at))
        store.apply(changes)
    assert snapshot is not None

    first = run_in_memory(ledger.lessons_page(store, snapshot, None))
    second = run_in_memory(ledger.lessons_page(store, snapshot, first[1]))
    third = run_in_memory(ledger.lessons_page(store, snapshot, second[1]))

    assert (list(first[0]), first[1]) == (["lesson-0"], "2026-04")
    assert (list(second[0]), second[1]) == (["lesson-1", "lesson-2"], "2026-06")
    assert (list(third[0]), third[1]) == (["lesson-3"], None)


def test_record_event_answers_the_learner_for_a_recorded_or_duplicate_event_and_the_horizon_for_a_late_one() -> None:
    store = _store([_event(1, T0 + timedelta(days=60))])
    duplicate = run_in_memory(ledger.record(store, "ada", _event(1, T0 + timedelta(days=60))))
    late = run_in_memory(ledger.record(store, "ada", _event(2, T0)))
    conflict = run_in_memory(ledger.record(store, "ada", _event(1, T0 + timedelta(days=59))))

    assert Recorded.of(duplicate).snapshot == duplicate.snapshot
    assert Recorded.of(late) == Recorded(outcome="too-late", horizon=ledger.horizon_for(T0 + timedelta(days=60)))
    assert Recorded.of(conflict) == Recorded(outcome="conflict")


def _through_json(value: Any) -> Any:
    return json.loads(json.dumps(value))


def test_each_actor_method_gets_back_through_json_what_was_sent() -> None:
    events = [_event(i, T0 + timedelta(hours=i)) for i in range(3)]
    store = _store(events)
    snapshot = run_in_memory(ledger.load_snapshot(store))
    assert snapshot is not None
    recorded = Recorded.of(run_in_memory(ledger.record(store, "ada", events[0])))
    days = run_in_memory(ledger.day_records(store, snapshot, date(2026, 3, 1), date(2026, 3, 2)))
    page = LogPage(events=events, next_cursor=date(2026, 3, 2))

    assert RECORD_EVENT.request_of(_through_json(RECORD_EVENT.request(events[0]))) == events[0]
    assert RECORD_EVENT.answer_of(_through_json(RECORD_EVENT.answer(recorded))) == recorded
    assert GET_SNAPSHOT.answer_of(_through_json(GET_SNAPSHOT.answer(snapshot))) == snapshot
    assert GET_DAYS.answer_of(_through_json(GET_DAYS.answer(days))) == days
    assert READ_LOG.answer_of(_through_json(READ_LOG.answer(page))) == page
