"""Subscription deliveries from the sidecar: parse the CloudEvent, answer SUCCESS / RETRY / DROP.

Every consumer of both services answers through :func:`deliver`, so "can this ever succeed?" is
decided in one place:

- RETRY only for an outage (:class:`SidecarUnavailable`: sidecar, state store, placement or broker
  not answering now). The sidecar redelivers with the bounded ``inboundDelivery`` policy of
  ``components/resiliency.yaml``; when it runs out, the message goes to ``<topic>-dlq``.
- DROP for everything else: malformed or poison data, an event type from an app that does not own
  it (its CloudEvent ``source``), a refusal (4xx) from the sidecar, an actor
  method that raised. The sidecar moves the message to ``<topic>-dlq`` at once, so one bad message
  never blocks the later messages of its partition.

Dapr never deduplicates: handlers dedupe on the event's business id or CloudEvent id, which is also
what makes replaying a dead-letter topic safe (README, "Dead letters").

Busy topics are bulk-subscribed (``bulkSubscribe`` in components/subscriptions.yaml): the sidecar
hands over up to ``maxMessagesCount`` messages of one partition at once (at most
``MAX_BULK_MESSAGES``) and reads one answer per message. :func:`deliver_in_batches` hands their
events to the handler one batch per actor (one actor call and one state transaction for all of that
actor's events, instead of one each), in the order of the partition, and answers each message as
the single path would: a message that can never succeed is DROPped alone; an outage is RETRY for
its actor's message and every later one of that actor, so the sidecar's retry keeps their order.
:func:`deliver_together` hands every key's batch to one call (a handler that reads and writes all
the keys of a delivery in one exchange each) and answers each message as :func:`deliver_in_batches`
would.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Awaitable, Callable, Mapping, Sequence
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, TypeVar

from pydantic import BaseModel, ValidationError

from learnflow_common.dapr.actor_methods import ActorDelivery, ActorMethod
from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.events import EVENT_OWNERS, EVENT_TYPES, CloudEvent, dead_letter_topic
from learnflow_common.metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)

#: The ``type`` of the envelope the sidecar posts for a bulk subscription.
BULK_EVENT_TYPE = "com.dapr.event.sent.bulk"
#: The largest ``bulkSubscribe.maxMessagesCount`` of the bulk subscriptions (components/subscriptions.yaml):
#: the weekly leaderboard's, whose batches save a shard's actor call per learner they share it with.
MAX_BULK_MESSAGES = 128
#: The broker refuses messages over this (``maxMessageBytes``, components/pubsub.yaml).
BROKER_MAX_MESSAGE_BYTES = 1024 * 1024
#: What a delivery may weigh: ``MAX_BULK_MESSAGES`` events of up to 256 KB each. An event over the
#: app's request limit (64 KB) is dropped anyway (:func:`deliver_in_batches`), so every delivery of
#: events the app would take fits; one of a raw producer's messages near the broker's limit is
#: refused (413), retried by the sidecar and then dead-lettered, rather than held in memory whole.
MAX_DELIVERY_BYTES = MAX_BULK_MESSAGES * 256 * 1024 + 64 * 1024


class DeliveryStatus(StrEnum):
    SUCCESS = "SUCCESS"
    RETRY = "RETRY"
    DROP = "DROP"


class UndeliverableEvent(Exception):
    """The message can never be processed (malformed, unknown type): it goes to the dead letters."""


def _holds_nul(value: Any) -> bool:
    if isinstance(value, str):
        return "\x00" in value
    if isinstance(value, dict):
        return any(_holds_nul(key) or _holds_nul(item) for key, item in value.items())
    if isinstance(value, list):
        return any(_holds_nul(item) for item in value)
    return False


def parse_event(body: dict[str, Any]) -> tuple[CloudEvent, BaseModel]:
    """The envelope and its validated data, or :class:`UndeliverableEvent`."""
    try:
        envelope = CloudEvent.model_validate(body)
    except ValidationError as error:
        raise UndeliverableEvent(f"not a CloudEvent: {error.error_count()} error(s)") from error
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise UndeliverableEvent(f"unknown event type {envelope.type!r}")
    if envelope.source != EVENT_OWNERS[envelope.type]:
        # A forged or misrouted event (e.g. XP for the leaderboard from an app that does not own it).
        raise UndeliverableEvent(
            f"{envelope.type} from source {envelope.source!r}: only {EVENT_OWNERS[envelope.type]} publishes it"
        )
    if _holds_nul(envelope.data):
        # PostgreSQL's JSONB cannot store U+0000: the save would fail on every attempt, and each
        # failure would count against the state store's circuit breaker for the whole replica.
        raise UndeliverableEvent(f"{envelope.type} data holds a NUL character")
    try:
        return envelope, model.model_validate(envelope.data)
    except ValidationError as error:
        raise UndeliverableEvent(f"{envelope.type} data invalid: {error}") from error


def sidecar_answer(value: DeliveryStatus) -> dict[str, str]:
    """The body a subscription handler answers the sidecar with (it reads only ``status``)."""
    return {"status": value.value}


async def deliver(
    body: dict[str, Any],
    expected: type[Model],
    handle: Callable[[CloudEvent, Model], Awaitable[object]],
    max_event_bytes: int,
) -> dict[str, str]:
    """Parses one delivery, hands events of the ``expected`` type to ``handle``, and answers the
    sidecar: SUCCESS when handled (or another type on the topic, ignored), RETRY when ``handle``
    met an outage, DROP when the message can never succeed, an event over ``max_event_bytes``
    among them (see the module docstring)."""
    try:
        envelope, data = _parse_entry(body, max_event_bytes)
    except UndeliverableEvent as error:
        log.error("dropping event %s to the dead letters: %s", body.get("id"), error)
        return _answer(DeliveryStatus.DROP, "unreadable")
    if not isinstance(data, expected):
        return _answer(DeliveryStatus.SUCCESS, envelope.type)
    try:
        await handle(envelope, data)
    except SidecarUnavailable as error:
        log.warning("retrying event %s: %s", envelope.id, error)
        return _answer(DeliveryStatus.RETRY, envelope.type)
    except Exception:
        # a bug or a refusal for this message, not an outage: retrying would block the partition
        log.exception("dropping event %s to the dead letters", envelope.id)
        return _answer(DeliveryStatus.DROP, envelope.type)
    return _answer(DeliveryStatus.SUCCESS, envelope.type)


def _answer(value: DeliveryStatus, event_type: str) -> dict[str, str]:
    """The answer to the sidecar, counted (``learnflow_events_consumed_total``; ``unreadable``: no
    known event type could be read from the delivery)."""
    return sidecar_answer(_counted(value, event_type))


async def deliver_to_actor(
    body: dict[str, Any],
    sidecar: DaprSidecar,
    expected: type[Model],
    method: ActorMethod[ActorDelivery, Any],
    actor_id_field: str | Callable[[Model], str],
    max_event_bytes: int,
) -> dict[str, str]:
    """:func:`deliver` to ``method`` of the actor named by a field of the event's data (or computed
    from the data by a function, e.g. a shard of a week).

    The actor method receives an :class:`ActorDelivery`: the CloudEvent id and the validated data.
    """

    async def invoke(envelope: CloudEvent, data: Model) -> None:
        actor_id = actor_id_field(data) if callable(actor_id_field) else str(getattr(data, actor_id_field))
        await method.call(sidecar, actor_id, ActorDelivery(event_id=envelope.id, data=data.model_dump(mode="json")))

    return await deliver(body, expected, invoke, max_event_bytes)


@dataclass(frozen=True)
class Received(Generic[Model]):
    """One event of a delivery: the sidecar's entry id (``""`` for a single delivery), its envelope
    and its validated data."""

    entry_id: str
    envelope: CloudEvent
    data: Model

    def delivery(self) -> ActorDelivery:
        """What an actor method of a subscription receives for this event."""
        return ActorDelivery(event_id=self.envelope.id, data=self.data.model_dump(mode="json"))


#: Handles the events of one actor (the key), oldest first; raises as a single handler would.
BatchHandler = Callable[[str, Sequence[Received[Model]]], Awaitable[object]]
#: Handles every key's events of a delivery (each key's oldest first) and answers, per key, ``None``
#: (done) or what that key's events raised (:func:`deliver_together`).
DeliveryHandler = Callable[[Mapping[str, Sequence[Received[Model]]]], Awaitable[Mapping[str, BaseException | None]]]
#: Publishes a message's bytes as they are to a topic of a pub/sub component, with its Kafka key
#: (:meth:`DaprSidecar.publish_raw`).
RawPublish = Callable[[str, str, bytes, str | None], Awaitable[None]]
#: Where the Kafka component puts a message's key in the metadata of its entry.
KAFKA_KEY_METADATA = "__key"


async def deliver_in_batches(
    body: dict[str, Any],
    expected: type[Model],
    key_of: Callable[[Model], str],
    handle: BatchHandler[Model],
    max_event_bytes: int,
    publish_raw: RawPublish,
) -> dict[str, Any]:
    """Parses a delivery - one CloudEvent, or a bulk envelope of several - and hands the events of
    the ``expected`` type to ``handle``, one call per key (actor id) with that key's events in the
    order delivered; calls for different keys run concurrently. Answers the single form
    (``{"status"}``) or the bulk form (``{"statuses": [{"entryId", "status"}]}``), every message
    decided as :func:`deliver` decides one (see the module docstring). ``publish_raw`` dead-letters
    what the sidecar would not (:func:`_dead_letter_what_the_sidecar_would_misplace`)."""
    delivery = _Delivery.parse(body, expected, key_of, max_event_bytes)
    await asyncio.gather(
        *(_deliver_batch(key, batch, handle, delivery.statuses) for key, batch in delivery.batches.items())
    )
    return await delivery.answer(publish_raw)


async def deliver_together(
    body: dict[str, Any],
    expected: type[Model],
    key_of: Callable[[Model], str],
    handle: DeliveryHandler[Model],
    max_event_bytes: int,
    publish_raw: RawPublish,
) -> dict[str, Any]:
    """As :func:`deliver_in_batches`, but every key's events go to ONE call of ``handle`` (a handler
    that reads and writes all the keys of a delivery in one exchange each), which answers per key:
    ``None`` when that key's events are done, else what they raised. If ``handle`` itself raises, every
    key is answered as if its events had raised that. A key whose events met an outage is RETRY; one
    whose events raised anything else is handled again alone, as :func:`deliver_in_batches` would
    (its batch, then one event at a time), so only a message that can never succeed is DROPped."""
    delivery = _Delivery.parse(body, expected, key_of, max_event_bytes)
    batches = delivery.batches
    try:
        outcomes: Mapping[str, BaseException | None] = await handle(batches) if batches else {}
    except Exception as raised:
        outcomes = dict.fromkeys(batches, raised)

    async def alone(key: str, batch: Sequence[Received[Model]]) -> None:
        if (failure := (await handle({key: batch}))[key]) is not None:
            raise failure

    for key, batch in batches.items():
        outcome = outcomes[key]
        if outcome is None:
            for received in batch:
                delivery.statuses[received.entry_id] = _counted(DeliveryStatus.SUCCESS, received.envelope.type)
        elif isinstance(outcome, SidecarUnavailable):
            log.warning("retrying %d event(s) from %s: %s", len(batch), batch[0].envelope.id, outcome)
            for received in batch:
                delivery.statuses[received.entry_id] = _counted(DeliveryStatus.RETRY, received.envelope.type)
        else:
            await _deliver_batch(key, batch, alone, delivery.statuses)
    return await delivery.answer(publish_raw)


@dataclass
class _Delivery(Generic[Model]):
    """A delivery parsed: its entries (id, event) in order, the status of each entry decided so far,
    and the events of the expected type by key, in the order delivered."""

    body: dict[str, Any]
    bulk: bool
    entries: list[tuple[str, Any]]
    statuses: dict[str, DeliveryStatus]
    batches: dict[str, list[Received[Model]]]

    @classmethod
    def parse(
        cls, body: dict[str, Any], expected: type[Model], key_of: Callable[[Model], str], max_event_bytes: int
    ) -> _Delivery[Model]:
        bulk = body.get("type") == BULK_EVENT_TYPE and isinstance(body.get("entries"), list)
        entries: list[tuple[str, Any]] = (
            [
                (str(entry.get("entryId", "")), entry.get("event")) if isinstance(entry, dict) else ("", None)
                for entry in body["entries"]
            ]
            if bulk
            else [("", body)]
        )
        statuses: dict[str, DeliveryStatus] = {}
        batches: dict[str, list[Received[Model]]] = {}
        for entry_id, event in entries:
            try:
                envelope, data = _parse_entry(event, max_event_bytes)
            except UndeliverableEvent as error:
                log.error("dropping event %s to the dead letters: %s", _event_id(event), error)
                statuses[entry_id] = _counted(DeliveryStatus.DROP, "unreadable")
                continue
            if not isinstance(data, expected):
                statuses[entry_id] = _counted(DeliveryStatus.SUCCESS, envelope.type)
                continue
            batches.setdefault(key_of(data), []).append(Received(entry_id, envelope, data))
        return cls(body, bulk, entries, statuses, batches)

    async def answer(self, publish_raw: RawPublish) -> dict[str, Any]:
        """The sidecar's answer, once every entry has its status."""
        if not self.bulk:
            return sidecar_answer(self.statuses[""])
        await _dead_letter_what_the_sidecar_would_misplace(self.body, self.statuses, publish_raw)
        return {
            "statuses": [{"entryId": entry_id, "status": self.statuses[entry_id].value} for entry_id, _ in self.entries]
        }


async def _dead_letter_what_the_sidecar_would_misplace(
    body: dict[str, Any], statuses: dict[str, DeliveryStatus], publish_raw: RawPublish
) -> None:
    """daprd 1.18.1 dead-letters a DROPped entry of a bulk delivery by looking its entry id's place
    among all the messages of the batch up in the list of those it delivered
    (``postman/http.DeliverBulk``). After a message it could not parse (not JSON), and in a retry,
    which delivers only the entries answered RETRY under their first numbers, it would dead-letter
    another message, or crash on an index out of range - and meet the same batch again when
    restarted. The Kafka component numbers a batch's entries 0, 1, 2...: a DROPped entry whose number
    is not its place in the delivery is moved to the dead-letter topic here (its JSON and its key) and
    answered SUCCESS. If that publish fails, it and the later ones are answered RETRY unpublished:
    when the sidecar's retries run out, it dead-letters them itself, by their right place (README,
    "Dead letters")."""
    publishing = True
    for place, entry in enumerate(body["entries"]):
        if not isinstance(entry, dict):
            continue
        entry_id = str(entry.get("entryId", ""))
        if statuses.get(entry_id) is not DeliveryStatus.DROP or not entry_id.isdecimal() or int(entry_id) == place:
            continue
        event = entry.get("event")
        topic = dead_letter_topic(str(body.get("topic")))
        if publishing:
            data = json.dumps(event, separators=(",", ":"), ensure_ascii=False).encode()
            key = (entry.get("metadata") or {}).get(KAFKA_KEY_METADATA)
            try:
                await publish_raw(str(body.get("pubsubname")), topic, data, key)
            except Exception as error:
                log.warning("event %s: could not move it to %s (%s); retrying it", _event_id(event), topic, error)
                publishing = False
            else:
                log.warning("event %s moved to %s by the app: the sidecar would misplace it", _event_id(event), topic)
                statuses[entry_id] = DeliveryStatus.SUCCESS
                continue
        statuses[entry_id] = DeliveryStatus.RETRY


def _parse_entry(event: Any, max_event_bytes: int) -> tuple[CloudEvent, BaseModel]:
    if not isinstance(event, dict):
        raise UndeliverableEvent("not a CloudEvent: not a JSON object")
    size = len(json.dumps(event, separators=(",", ":")).encode())
    if size > max_event_bytes:
        raise UndeliverableEvent(f"the event is {size} bytes; the limit is {max_event_bytes}")
    return parse_event(event)


def _event_id(event: Any) -> Any:
    return event.get("id") if isinstance(event, dict) else None


async def _deliver_batch(
    key: str, batch: Sequence[Received[Model]], handle: BatchHandler[Model], statuses: dict[str, DeliveryStatus]
) -> None:
    """One key's events: all at once; if that fails for another reason than an outage, one at a
    time, so only the message that cannot succeed is dropped."""
    try:
        await handle(key, batch)
    except SidecarUnavailable as error:
        log.warning("retrying %d event(s) from %s: %s", len(batch), batch[0].envelope.id, error)
        for received in batch:
            statuses[received.entry_id] = _counted(DeliveryStatus.RETRY, received.envelope.type)
        return
    except Exception:
        if len(batch) == 1:
            log.exception("dropping event %s to the dead letters", batch[0].envelope.id)
            statuses[batch[0].entry_id] = _counted(DeliveryStatus.DROP, batch[0].envelope.type)
            return
        log.warning("a batch of %d event(s) of %s failed: delivering them one at a time", len(batch), key)
        for position, received in enumerate(batch):
            try:
                await handle(key, [received])
            except SidecarUnavailable as error:
                log.warning("retrying %d event(s) from %s: %s", len(batch) - position, received.envelope.id, error)
                for later in batch[position:]:
                    statuses[later.entry_id] = _counted(DeliveryStatus.RETRY, later.envelope.type)
                return
            except Exception:
                log.exception("dropping event %s to the dead letters", received.envelope.id)
                statuses[received.entry_id] = _counted(DeliveryStatus.DROP, received.envelope.type)
            else:
                statuses[received.entry_id] = _counted(DeliveryStatus.SUCCESS, received.envelope.type)
        return
    for received in batch:
        statuses[received.entry_id] = _counted(DeliveryStatus.SUCCESS, received.envelope.type)


def _counted(value: DeliveryStatus, event_type: str) -> DeliveryStatus:
    EVENTS_CONSUMED.labels(event_type, value.value).inc()
    return value
