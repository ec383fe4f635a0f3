"""Parsing deliveries: what is undeliverable goes to the dead letters instead of looping."""

from __future__ import annotations

import json
from collections.abc import Mapping, Sequence
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from pydantic import BaseModel

from learnflow_common.dapr.actor_methods import ActorDelivery, ActorMethod
from learnflow_common.dapr.errors import ActorMethodFailed, SidecarUnavailable
from learnflow_common.events import EVENT_OWNERS, EVENT_TYPES, CloudEvent, LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.subscriptions import (
    BULK_EVENT_TYPE,
    DeliveryHandler,
    Received,
    UndeliverableEvent,
    deliver,
    deliver_in_batches,
    deliver_to_actor,
    deliver_together,
    parse_event,
)

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
        _envelope(data={**VALID_DATA, "topic": "vari\x00ables"}),
        "a JSON string, not an object",
    ],
    ids=["not-a-cloudevent", "unknown-type", "invalid-data", "nul-in-data", "not-an-object"],
)
def test_malformed_delivery_is_undeliverable(body: Any) -> None:
    with pytest.raises(UndeliverableEvent):
        parse_event(body)


MAX_EVENT_BYTES = 64 * 1024
APPLY: ActorMethod[ActorDelivery, None] = ActorMethod("Plan", "Apply", ActorDelivery, None)
RECORD: ActorMethod[ActorDelivery, None] = ActorMethod("Board", "Record", ActorDelivery, None)


class _RecordingSidecar:
    def __init__(self) -> None:
        self.calls: list[tuple[str, str, str, Any]] = []

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        self.calls.append((actor_type, actor_id, method, data))
        return None


async def test_delivery_goes_to_the_actor_named_by_a_field_of_its_data() -> None:
    sidecar = _RecordingSidecar()

    answer = await deliver_to_actor(_envelope(), sidecar, ProgressUpdatedV1, APPLY, "learner_id", MAX_EVENT_BYTES)  # type: ignore[arg-type]

    assert answer == {"status": "SUCCESS"}
    assert sidecar.calls[0][:3] == ("Plan", "ada", "Apply")
    assert sidecar.calls[0][3]["event_id"] == "1"


async def test_delivery_goes_to_the_actor_id_computed_from_its_data() -> None:
    sidecar = _RecordingSidecar()

    def shard(data: ProgressUpdatedV1) -> str:
        return f"{data.week}.{len(data.learner_id):02d}"

    answer = await deliver_to_actor(_envelope(), sidecar, ProgressUpdatedV1, RECORD, shard, MAX_EVENT_BYTES)  # type: ignore[arg-type]

    assert answer == {"status": "SUCCESS"}
    assert sidecar.calls[0][:3] == ("Board", "2026-W01.03", "Record")


UNSAFE_IDS = ["e\u00001", "e\n1", "e 1", "-e1", "", "e" * 129, "é1"]


@pytest.mark.parametrize("event_id", UNSAFE_IDS)
async def test_an_event_whose_cloudevent_id_is_not_a_safe_id_is_dropped_before_any_actor_stores_it(
    event_id: str,
) -> None:
    sidecar = _RecordingSidecar()

    answer = await deliver_to_actor(
        _envelope(id=event_id), sidecar, ProgressUpdatedV1, APPLY, "learner_id", MAX_EVENT_BYTES
    )  # type: ignore[arg-type]

    assert answer == {"status": "DROP"}
    assert sidecar.calls == []


@pytest.mark.parametrize(
    "change",
    [
        {"source_event_id": "e\u00001"},
        {"learner_id": "ada\u0000"},
        {"lesson_id": "ada~" + "0" * 31 + "\u0000"},
        {"lesson_id": "lesson 1"},
        {"topic": "variables\u0000"},
        {"week": "٢٠٢٦-W01"},
        {"week": "2026-W54"},
    ],
    ids=["nul-event-id", "nul-learner", "nul-lesson", "spaced-lesson", "nul-topic", "arabic-digits-week", "week-54"],
)
async def test_an_event_whose_data_carries_an_unsafe_id_is_dropped_before_any_actor_stores_it(
    change: dict[str, str],
) -> None:
    sidecar = _RecordingSidecar()
    body = _envelope(data={**VALID_DATA, **change})

    answer = await deliver_to_actor(body, sidecar, ProgressUpdatedV1, APPLY, "learner_id", MAX_EVENT_BYTES)  # type: ignore[arg-type]

    assert answer == {"status": "DROP"}
    assert sidecar.calls == []


class _FailingSidecar:
    def __init__(self, error: Exception) -> None:
        self.error = error

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        raise self.error


@pytest.mark.parametrize(
    ("error", "answer"),
    [
        (SidecarUnavailable("ERR_ACTOR_STATE_GET: store down", "state-store"), "RETRY"),
        (SidecarUnavailable("Dapr sidecar unreachable (ConnectError)", "dapr-sidecar"), "RETRY"),
        (ActorMethodFailed("error from actor service: (500) KeyError('week')"), "DROP"),
        (RuntimeError("sidecar answered 400 ERR_MALFORMED_REQUEST: invalid actorId"), "DROP"),
        (ValueError("learner 'ada' belongs to shard 3, not to 2026-W01.04"), "DROP"),
    ],
    ids=["store-down", "sidecar-down", "actor-method-raised", "sidecar-refused", "unexpected-error"],
)
async def test_only_an_outage_is_retried_and_every_other_failure_goes_to_the_dead_letters(
    error: Exception, answer: str
) -> None:
    delivered = await deliver_to_actor(
        _envelope(),
        _FailingSidecar(error),  # type: ignore[arg-type]
        ProgressUpdatedV1,
        APPLY,
        "learner_id",
        MAX_EVENT_BYTES,
    )

    assert delivered == {"status": answer}


async def test_malformed_delivery_is_dropped_without_calling_the_handler() -> None:
    handled: list[str] = []

    async def handle(envelope: CloudEvent, data: ProgressUpdatedV1) -> None:
        handled.append(envelope.id)

    answer = await deliver(
        _envelope(data={**VALID_DATA, "xp_total": "lots"}), ProgressUpdatedV1, handle, MAX_EVENT_BYTES
    )

    assert answer == {"status": "DROP"}
    assert handled == []


async def test_an_event_of_another_type_on_the_topic_is_acknowledged_and_ignored() -> None:
    handled: list[str] = []

    async def handle(envelope: CloudEvent, data: LessonGeneratedV1) -> None:
        handled.append(envelope.id)

    assert await deliver(_envelope(), LessonGeneratedV1, handle, MAX_EVENT_BYTES) == {"status": "SUCCESS"}
    assert handled == []


@pytest.mark.parametrize("source", ["course-agent", "exercise-agent", "user-progress-evil", ""])
async def test_an_event_from_an_app_that_does_not_own_its_type_is_dropped_before_the_handler(source: str) -> None:
    """A forged progress event would otherwise put XP on the leaderboard."""
    handled: list[str] = []

    async def handle(envelope: CloudEvent, data: ProgressUpdatedV1) -> None:
        handled.append(envelope.id)

    answer = await deliver(_envelope(source=source), ProgressUpdatedV1, handle, MAX_EVENT_BYTES)

    assert answer == {"status": "DROP"}
    assert handled == []


def test_every_event_type_has_one_owning_app() -> None:
    assert set(EVENT_OWNERS) == set(EVENT_TYPES)
    assert set(EVENT_OWNERS.values()) == {"user-progress", "course-agent"}


# ------------------------------------------------------------------ deliveries in batches (bulk)
def _progress(event_id: str, learner: str) -> dict[str, object]:
    return _envelope(id=event_id, data={**VALID_DATA, "learner_id": learner, "source_event_id": event_id})


def _bulk(*events: object) -> dict[str, Any]:
    """A bulk delivery as the sidecar posts it (bulkSubscribe)."""
    return {
        "id": "b1",
        "type": BULK_EVENT_TYPE,
        "topic": "progress-events",
        "pubsubname": "pubsub",
        "metadata": {},
        "entries": [
            {"entryId": str(number), "event": event, "contentType": "application/cloudevents+json", "metadata": {}}
            for number, event in enumerate(events)
        ],
    }


class _BatchRecorder:
    """Handles batches per learner; raises ``failures[event id]`` for a batch that holds that event."""

    def __init__(self, failures: dict[str, Exception] | None = None) -> None:
        self.batches: list[tuple[str, list[str]]] = []
        self.failures = failures or {}

    async def __call__(self, key: str, batch: Sequence[Received[ProgressUpdatedV1]]) -> None:
        ids = [received.envelope.id for received in batch]
        for event_id in ids:
            if event_id in self.failures:
                raise self.failures[event_id]
        self.batches.append((key, ids))


def _statuses(answer: dict[str, Any]) -> list[str]:
    return [status["status"] for status in answer["statuses"]]


async def _no_publish(pubsub: str, topic: str, data: bytes, key: str | None) -> None:
    raise AssertionError(f"nothing is to be published here, yet {topic} got {data[:60]!r}")


class _Published:
    """Records what the app publishes itself (``DaprSidecar.publish_raw``), or raises ``failure``."""

    def __init__(self, failure: Exception | None = None) -> None:
        self.messages: list[tuple[str, str, Any, str | None]] = []
        self.failure = failure

    async def __call__(self, pubsub: str, topic: str, data: bytes, key: str | None) -> None:
        if self.failure is not None:
            raise self.failure
        self.messages.append((pubsub, topic, json.loads(data), key))


def _skipping(delivery: dict[str, Any], *numbers: int) -> dict[str, Any]:
    """The delivery as the sidecar posts it when it could not parse the messages ``numbers`` of the
    batch (not JSON): their entries are left out, the others keep their numbers. Each entry carries
    its Kafka key, as the Kafka component gives it."""
    entries = [entry for entry in delivery["entries"] if int(entry["entryId"]) not in numbers]
    for entry in entries:
        entry["metadata"] = {"__key": entry["event"]["data"]["learner_id"], "__topic": "progress-events"}
    return {**delivery, "entries": entries}


async def test_a_bulk_delivery_hands_each_actor_its_events_in_one_call_in_partition_order() -> None:
    handle = _BatchRecorder()

    answer = await deliver_in_batches(
        _bulk(_progress("e1", "ada"), _progress("e2", "bob"), _progress("e3", "ada"), _progress("e4", "ada")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        handle,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert answer == {"statuses": [{"entryId": str(n), "status": "SUCCESS"} for n in range(4)]}
    assert sorted(handle.batches) == [("ada", ["e1", "e3", "e4"]), ("bob", ["e2"])]


async def test_a_single_delivery_is_a_batch_of_one_answered_in_the_single_form() -> None:
    handle = _BatchRecorder()

    answer = await deliver_in_batches(
        _progress("e1", "ada"), ProgressUpdatedV1, lambda event: event.learner_id, handle, MAX_EVENT_BYTES, _no_publish
    )

    assert answer == {"status": "SUCCESS"}
    assert handle.batches == [("ada", ["e1"])]


async def test_in_a_bulk_delivery_only_the_unreadable_or_oversized_message_is_dropped() -> None:
    handle = _BatchRecorder()
    oversized = _progress("e3", "ada")
    oversized["extension"] = "x" * MAX_EVENT_BYTES

    answer = await deliver_in_batches(
        _bulk(_progress("e1", "ada"), {"not": "a cloud event"}, oversized, "not an object", _progress("e5", "ada")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        handle,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer) == ["SUCCESS", "DROP", "DROP", "DROP", "SUCCESS"]
    assert handle.batches == [("ada", ["e1", "e5"])]


async def test_an_event_over_the_limit_is_dropped_in_a_single_delivery_too() -> None:
    oversized = _progress("e1", "ada")
    oversized["extension"] = "x" * MAX_EVENT_BYTES

    answer = await deliver(oversized, ProgressUpdatedV1, _ignore, MAX_EVENT_BYTES)

    assert answer == {"status": "DROP"}


async def _ignore(envelope: CloudEvent, data: BaseModel) -> None:
    raise AssertionError("an undeliverable event reached the handler")


async def test_an_outage_retries_that_actors_messages_and_the_other_actors_succeed() -> None:
    handle = _BatchRecorder({"e2": SidecarUnavailable("ERR_ACTOR_STATE_TRANSACTION: store down", "state-store")})

    answer = await deliver_in_batches(
        _bulk(_progress("e1", "ada"), _progress("e2", "ada"), _progress("e3", "bob"), _progress("e4", "ada")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        handle,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer) == ["RETRY", "RETRY", "SUCCESS", "RETRY"]
    assert handle.batches == [("bob", ["e3"])]


async def test_a_failing_batch_is_handled_one_event_at_a_time_so_only_the_poison_is_dropped() -> None:
    handle = _BatchRecorder({"e2": ActorMethodFailed("error from actor service: (500) KeyError('week')")})

    answer = await deliver_in_batches(
        _bulk(_progress("e1", "ada"), _progress("e2", "ada"), _progress("e3", "ada")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        handle,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer) == ["SUCCESS", "DROP", "SUCCESS"]
    assert handle.batches == [("ada", ["e1"]), ("ada", ["e3"])]


async def test_an_outage_while_isolating_a_poison_retries_the_rest_of_that_actors_messages_in_order() -> None:
    """The sidecar retries RETRY messages later: none after them may be applied before them."""

    class _PoisonThenOutage(_BatchRecorder):
        async def __call__(self, key: str, batch: Sequence[Received[ProgressUpdatedV1]]) -> None:
            ids = [received.envelope.id for received in batch]
            if len(ids) > 1:
                raise ActorMethodFailed("error from actor service: (500) KeyError('week')")
            if ids == ["e2"]:
                raise SidecarUnavailable("ERR_ACTOR_STATE_TRANSACTION: store down", "state-store")
            self.batches.append((key, ids))

    handle = _PoisonThenOutage()

    answer = await deliver_in_batches(
        _bulk(_progress("e1", "ada"), _progress("e2", "ada"), _progress("e3", "ada")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        handle,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer) == ["SUCCESS", "RETRY", "RETRY"]
    assert handle.batches == [("ada", ["e1"])]


async def test_events_of_another_type_in_a_bulk_delivery_are_acknowledged_and_not_handled() -> None:
    handle = _BatchRecorder()
    streak = _envelope(id="s1", type="learnflow.streak.updated.v1", data={"learner_id": "ada"})

    answer = await deliver_in_batches(
        _bulk(streak, _progress("e1", "ada")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        handle,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer)[1] == "SUCCESS"
    assert handle.batches == [("ada", ["e1"])]


async def test_a_dropped_entry_after_one_the_sidecar_could_not_parse_is_moved_to_the_dead_letters_by_the_app() -> None:
    """daprd 1.18.1 would dead-letter the entry at the dropped one's number among those it delivered
    (here e4) or crash when there is none; the app moves the poison itself, with its key."""
    poison = _progress("e3", "ada")
    poison["data"]["week_xp"] = "lots"
    published = _Published()

    answer = await deliver_in_batches(
        _skipping(_bulk(_progress("e1", "ada"), b"not json", poison, _progress("e4", "bob")), 1),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        _BatchRecorder(),
        MAX_EVENT_BYTES,
        published,
    )

    assert answer == {"statuses": [{"entryId": n, "status": "SUCCESS"} for n in ("0", "2", "3")]}
    assert published.messages == [("pubsub", "progress-events-dlq", poison, "ada")]


async def test_a_dropped_entry_the_sidecar_finds_at_its_own_place_is_left_to_the_sidecar() -> None:
    poison = _progress("e2", "ada")
    poison["data"]["week_xp"] = "lots"

    answer = await deliver_in_batches(
        _skipping(_bulk(_progress("e1", "ada"), poison, b"not json", _progress("e4", "bob")), 2),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        _BatchRecorder(),
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer) == ["SUCCESS", "DROP", "SUCCESS"]


async def test_a_misplaced_drop_the_app_cannot_move_is_retried_for_the_sidecar_to_dead_letter_in_the_end() -> None:
    poison = _progress("e2", "ada")
    poison["data"]["week_xp"] = "lots"

    answer = await deliver_in_batches(
        _skipping(_bulk(b"not json", poison), 0),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        _BatchRecorder(),
        MAX_EVENT_BYTES,
        _Published(SidecarUnavailable("broker down", "pubsub")),
    )

    assert answer == {"statuses": [{"entryId": "1", "status": "RETRY"}]}


async def test_after_a_failed_move_the_later_misplaced_drops_are_retried_without_trying() -> None:
    first, second = _progress("e2", "ada"), _progress("e4", "bob")
    for poison in (first, second):
        poison["data"]["week_xp"] = "lots"
    publish = _Published(SidecarUnavailable("broker down", "pubsub"))
    calls: list[str] = []

    async def counted(pubsub: str, topic: str, data: bytes, key: str | None) -> None:
        calls.append(json.loads(data)["id"])
        await publish(pubsub, topic, data, key)

    answer = await deliver_in_batches(
        _skipping(_bulk(b"not json", first, _progress("e3", "ada"), second), 0),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        _BatchRecorder(),
        MAX_EVENT_BYTES,
        counted,
    )

    assert _statuses(answer) == ["RETRY", "SUCCESS", "RETRY"]
    assert calls == ["e2"]


async def test_a_drop_among_the_entries_the_sidecar_delivers_again_after_a_retry_is_moved_by_the_app() -> None:
    """A retry delivers only the entries answered RETRY, under their first numbers (here 1 and 3):
    daprd would dead-letter the second by the place 3 in a list of two."""
    poison = _progress("e4", "bob")
    poison["data"]["week_xp"] = "lots"
    published = _Published()

    answer = await deliver_in_batches(
        _skipping(_bulk(_progress("e1", "ada"), _progress("e2", "ada"), _progress("e3", "bob"), poison), 0, 2),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        _BatchRecorder(),
        MAX_EVENT_BYTES,
        published,
    )

    assert answer == {"statuses": [{"entryId": "1", "status": "SUCCESS"}, {"entryId": "3", "status": "SUCCESS"}]}
    assert [message[2]["id"] for message in published.messages] == ["e4"]


# ------------------------------------------------------------------ a delivery handled together
def _together(per_key: _BatchRecorder) -> DeliveryHandler[ProgressUpdatedV1]:
    """A handler of a whole delivery that answers, per key, what ``per_key`` would have raised."""

    async def handle(batches: Mapping[str, Sequence[Received[ProgressUpdatedV1]]]) -> dict[str, BaseException | None]:
        outcomes: dict[str, BaseException | None] = {}
        for key, batch in batches.items():
            try:
                await per_key(key, batch)
            except Exception as error:
                outcomes[key] = error
            else:
                outcomes[key] = None
        return outcomes

    return handle


FAILURES = {
    "outage": SidecarUnavailable("ERR_STATE_SAVE: store down", "state-store"),
    "poison": ActorMethodFailed("error from actor service: (500) KeyError('week')"),
}


@settings(max_examples=300, deadline=None)
@given(
    learners=st.lists(st.sampled_from(["ada", "bob", "cy"]), min_size=1, max_size=8),
    failing=st.dictionaries(st.integers(0, 7), st.sampled_from(sorted(FAILURES)), max_size=3),
)
async def test_a_delivery_handled_together_is_answered_as_one_handled_actor_by_actor(
    learners: list[str], failing: dict[int, str]
) -> None:
    """Same statuses and same events handled as ``deliver_in_batches``, whatever fails where."""
    delivery = _bulk(*(_progress(f"e{n}", learner) for n, learner in enumerate(learners)))
    failures = {f"e{n}": FAILURES[kind] for n, kind in failing.items()}
    by_actor, together = _BatchRecorder(failures), _BatchRecorder(failures)

    expected = await deliver_in_batches(
        delivery, ProgressUpdatedV1, lambda event: event.learner_id, by_actor, MAX_EVENT_BYTES, _no_publish
    )
    answer = await deliver_together(
        delivery, ProgressUpdatedV1, lambda event: event.learner_id, _together(together), MAX_EVENT_BYTES, _no_publish
    )

    assert answer == expected
    assert sorted(together.batches) == sorted(by_actor.batches)


async def test_when_the_whole_delivery_meets_an_outage_every_message_is_retried() -> None:
    async def store_down(
        batches: Mapping[str, Sequence[Received[ProgressUpdatedV1]]],
    ) -> dict[str, BaseException | None]:
        raise SidecarUnavailable("ERR_STATE_GET: store down", "state-store")

    answer = await deliver_together(
        _bulk(_progress("e1", "ada"), _progress("e2", "bob")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        store_down,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer) == ["RETRY", "RETRY"]


async def test_when_the_whole_delivery_fails_otherwise_each_actor_is_handled_alone() -> None:
    """A handler that fails for the delivery as a whole (one poison among them) is asked again per
    key, so only the poison's messages are dropped."""
    calls: list[list[str]] = []

    async def fails_with_e2(
        batches: Mapping[str, Sequence[Received[ProgressUpdatedV1]]],
    ) -> dict[str, BaseException | None]:
        ids = [received.envelope.id for batch in batches.values() for received in batch]
        calls.append(ids)
        if "e2" in ids:
            raise ActorMethodFailed("error from actor service: (500) KeyError('week')")
        return dict.fromkeys(batches)

    answer = await deliver_together(
        _bulk(_progress("e1", "ada"), _progress("e2", "bob"), _progress("e3", "ada")),
        ProgressUpdatedV1,
        lambda event: event.learner_id,
        fails_with_e2,
        MAX_EVENT_BYTES,
        _no_publish,
    )

    assert _statuses(answer) == ["SUCCESS", "DROP", "SUCCESS"]
    assert calls == [["e1", "e3", "e2"], ["e1", "e3"], ["e2"]]
