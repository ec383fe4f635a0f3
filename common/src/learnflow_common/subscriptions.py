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
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from learnflow_common.dapr.actor_methods import ActorDelivery, ActorMethod
from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.events import EVENT_OWNERS, EVENT_TYPES, CloudEvent
from learnflow_common.metrics import EVENTS_CONSUMED

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)


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
    body: dict[str, Any], expected: type[Model], handle: Callable[[CloudEvent, Model], Awaitable[object]]
) -> dict[str, str]:
    """Parses one delivery, hands events of the ``expected`` type to ``handle``, and answers the
    sidecar: SUCCESS when handled (or another type on the topic, ignored), RETRY when ``handle``
    met an outage, DROP when the message can never succeed (see the module docstring)."""
    try:
        envelope, data = parse_event(body)
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
    EVENTS_CONSUMED.labels(event_type, value.value).inc()
    return sidecar_answer(value)


async def deliver_to_actor(
    body: dict[str, Any],
    sidecar: DaprSidecar,
    expected: type[Model],
    method: ActorMethod[ActorDelivery, Any],
    actor_id_field: str | Callable[[Model], str],
) -> dict[str, str]:
    """:func:`deliver` to ``method`` of the actor named by a field of the event's data (or computed
    from the data by a function, e.g. a shard of a week).

    The actor method receives an :class:`ActorDelivery`: the CloudEvent id and the validated data.
    """

    async def invoke(envelope: CloudEvent, data: Model) -> None:
        actor_id = actor_id_field(data) if callable(actor_id_field) else str(getattr(data, actor_id_field))
        await method.call(sidecar, actor_id, ActorDelivery(event_id=envelope.id, data=data.model_dump(mode="json")))

    return await deliver(body, expected, invoke)
