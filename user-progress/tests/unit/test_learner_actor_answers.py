"""What the learner actor answers, decided by pure functions: pages of the log and of the lessons,
RecordEvent's and RecordEventForStatus's answers, and the JSON each actor method sends through the
sidecar."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import given, settings
from hypothesis import strategies as st
from prometheus_client import REGISTRY

from learnflow_common.dapr.errors import ActorMethodFailed, classify_sidecar_error
from learnflow_common.memory import MemoryStore, run_in_memory
from user_progress import ledger
from user_progress.adapters.actor_interface import (
    GET_DAYS,
    GET_SNAPSHOT,
    READ_LOG,
    RECORD_EVENT,
    RECORD_EVENT_FOR_STATUS,
    LearnerProgress,
    LogPage,
    Recorded,
    RecordedStatus,
)
from user_progress.api.models import LearnerStatus
from user_progress.domain.events import LearningEvent
from user_progress.status_answers import status_body
from user_progress.views import status_of

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


#: The route before RecordEventForStatus, as it was declared (the reference): it returned
#: ``status_of(snapshot, now)`` and FastAPI serialised it as ``response_model=LearnerStatus``.
_ROUTE_BEFORE = FastAPI()
_ANSWERED: list[LearnerStatus] = []


@_ROUTE_BEFORE.post("/update-progress", response_model=LearnerStatus)
async def _update_progress_before() -> LearnerStatus:
    return _ANSWERED[-1]


def _as_the_route_answered(status: LearnerStatus) -> bytes:
    """POST /update-progress's body when the route returned ``status``."""
    _ANSWERED.append(status)
    with TestClient(_ROUTE_BEFORE) as client:
        answer = client.post("/update-progress")
    assert answer.status_code == 200
    assert answer.headers["content-type"] == "application/json"
    return answer.content


def test_record_event_for_status_answers_record_events_answer_with_the_status_for_the_snapshot() -> None:
    store = _store([_event(1, T0 + timedelta(days=60))])
    now = T0 + timedelta(days=61)
    recorded = run_in_memory(ledger.record(store, "ada", _event(3, T0 + timedelta(days=60, hours=1))))
    duplicate = run_in_memory(ledger.record(store, "ada", _event(1, T0 + timedelta(days=60))))
    late = run_in_memory(ledger.record(store, "ada", _event(2, T0)))
    conflict = run_in_memory(ledger.record(store, "ada", _event(1, T0 + timedelta(days=59))))

    for result in (recorded, duplicate):
        assert result.snapshot is not None
        answer = RecordedStatus.of(Recorded.of(result), now)
        assert answer.outcome == result.outcome
        assert answer.horizon is None
        assert answer.status_body is not None
        assert answer.status_body.encode() == _as_the_route_answered(status_of(result.snapshot, now))
    assert RecordedStatus.of(Recorded.of(late), now) == RecordedStatus(
        outcome="too-late", horizon=ledger.horizon_for(T0 + timedelta(days=60))
    )
    assert RecordedStatus.of(Recorded.of(conflict), now) == RecordedStatus(outcome="conflict")


EVENTS = st.builds(
    LearningEvent,
    event_id=st.just("e"),
    learner_id=st.just("ada"),
    activity=st.sampled_from(["lesson", "exercise", "quiz", "review"]),
    topic=st.sampled_from(["variables", "loops", "functions"]),
    completed_at=st.integers(0, 20 * 24 * 60).map(lambda minutes: T0 + timedelta(minutes=minutes)),
    score=st.none() | st.integers(0, 100),
    timezone=st.sampled_from([None, "UTC", "Europe/Berlin", "Pacific/Kiritimati"]),
)


@settings(max_examples=150, deadline=None)
@given(history=st.lists(EVENTS, min_size=1, max_size=20), later=st.integers(0, 40 * 24 * 3600))
def test_the_status_through_the_sidecars_json_is_the_body_the_route_answered_before(
    history: list[LearningEvent], later: int
) -> None:
    """Whatever the learner and the moment: RecordEventForStatus's answer, through JSON as the sidecar
    carries it, holds byte for byte the body POST /update-progress answered from the snapshot."""
    store, result = MemoryStore(), None
    for number, event in enumerate(history):
        event = LearningEvent.from_dict({**event.to_dict(), "event_id": f"e{number}"})
        if event.score is None and event.activity in ("exercise", "quiz"):
            continue
        result = run_in_memory(ledger.record(store, "ada", event))
        store.apply(result.changes)
    if result is None or result.snapshot is None:
        return
    now = history[0].completed_at + timedelta(seconds=later)

    answer = RECORD_EVENT_FOR_STATUS.answer_of(
        _through_json(RECORD_EVENT_FOR_STATUS.answer(RecordedStatus.of(Recorded.of(result), now)))
    )

    assert answer.outcome == result.outcome
    assert answer.status_body is not None
    assert answer.status_body.encode() == _as_the_route_answered(status_of(result.snapshot, now))


#: What daprd answers when the actor raised inside a method.
ACTOR_RAISED = (
    'error invoke actor method: error from actor service: (500) {"message":"KeyError(\'snapshot\')",'
    '"errorCode":"UNKNOWN"}'
)
#: What daprd answers for a method the actor's host does not have, as a real stack words it
#: (test_rolling_update.py holds ``names_unknown_method`` to the real answer).
NO_SUCH_METHOD = (
    'error invoke actor method: error from actor service: (500) {"message":"ActorMethodNotFoundError('
    '\'type object ActorMethodDispatcher has no method {method}\')","errorCode":"UNKNOWN"}'
)


class ReleaseBefore:
    """An actor host of the release before RecordEventForStatus: refuses it as the SDK does (or, with
    no ``refusal``, as an actor that raised inside it), and answers RecordEvent through JSON as the
    sidecar carries it."""

    def __init__(self, answer: Recorded, refusal: str | None = "RecordEventForStatus") -> None:
        self.answer, self.refusal = answer, refusal
        self.methods: list[str] = []

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        self.methods.append(method)
        if method == "RecordEventForStatus":
            message = ACTOR_RAISED if self.refusal is None else NO_SUCH_METHOD.replace("{method}", self.refusal)
            raise classify_sidecar_error(500, "ERR_ACTOR_INVOKE_METHOD", message)
        return _through_json(RECORD_EVENT.answer(self.answer))


async def test_on_a_host_of_the_release_before_the_status_comes_from_record_event() -> None:
    store = _store([_event(1, T0)])
    result = run_in_memory(ledger.record(store, "ada", _event(2, T0 + timedelta(hours=1))))
    assert result.snapshot is not None
    host = ReleaseBefore(Recorded.of(result))

    fallbacks = {"actor_type": "LearnerProgressActor", "method": "RecordEventForStatus", "instead": "RecordEvent"}
    before = REGISTRY.get_sample_value("learnflow_actor_method_fallbacks_total", fallbacks) or 0.0

    answer = await LearnerProgress(host, "ada").record_event_for_status(_event(2, T0 + timedelta(hours=1)))

    assert host.methods == ["RecordEventForStatus", "RecordEvent"]
    assert REGISTRY.get_sample_value("learnflow_actor_method_fallbacks_total", fallbacks) == before + 1
    assert answer.outcome == "recorded"
    assert answer.status_body is not None
    assert json.loads(answer.status_body) == json.loads(status_body(result.snapshot, datetime.now(UTC)))


async def test_a_refusal_naming_another_method_is_not_taken_for_an_older_host() -> None:
    store = _store([_event(1, T0)])
    host = ReleaseBefore(
        Recorded.of(run_in_memory(ledger.record(store, "ada", _event(1, T0)))), "RecordEventForStatusV2"
    )

    with pytest.raises(ActorMethodFailed):
        await LearnerProgress(host, "ada").record_event_for_status(_event(1, T0))
    assert host.methods == ["RecordEventForStatus"]


async def test_an_error_the_actor_raised_in_record_event_for_status_is_not_taken_for_an_older_host() -> None:
    store = _store([_event(1, T0)])
    host = ReleaseBefore(Recorded.of(run_in_memory(ledger.record(store, "ada", _event(1, T0)))), refusal=None)

    with pytest.raises(ActorMethodFailed):
        await LearnerProgress(host, "ada").record_event_for_status(_event(1, T0))
    assert host.methods == ["RecordEventForStatus"]
