"""Subscription deliveries from the sidecar: parse the CloudEvent, answer SUCCESS / RETRY / DROP.

Dapr redelivers on RETRY (and on any non-2xx), moves a message to the dead-letter topic on DROP,
and never deduplicates: handlers dedupe on the event's business id.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from enum import StrEnum
from typing import Any, TypeVar

from pydantic import BaseModel, ValidationError

from learnflow_common.dapr.errors import ActorMethodFailed, SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.events import EVENT_TYPES, CloudEvent

log = logging.getLogger(__name__)
Model = TypeVar("Model", bound=BaseModel)


class DeliveryStatus(StrEnum):
    SUCCESS = "SUCCESS"
    RETRY = "RETRY"
    DROP = "DROP"


class UndeliverableEvent(Exception):
    """The message can never be processed (malformed, unknown type): it goes to the dead letters."""


def parse_event(body: dict[str, Any]) -> tuple[CloudEvent, BaseModel]:
    """The envelope and its validated data, or :class:`UndeliverableEvent`."""
    try:
        envelope = CloudEvent.model_validate(body)
    except ValidationError as error:
        raise UndeliverableEvent(f"not a CloudEvent: {error.error_count()} error(s)") from error
    model = EVENT_TYPES.get(envelope.type)
    if model is None:
        raise UndeliverableEvent(f"unknown event type {envelope.type!r}")
    try:
        return envelope, model.model_validate(envelope.data)
    except ValidationError as error:
        raise UndeliverableEvent(f"{envelope.type} data invalid: {error}") from error


def status(value: DeliveryStatus) -> dict[str, str]:
    return {"status": value.value}


async def deliver_to_actor(
    body: dict[str, Any],
    sidecar: DaprSidecar,
    expected: type[Model],
    actor_type: str,
    method: str,
    actor_id_field: str | Callable[[Model], str],
) -> dict[str, str]:
    """Hands one delivery to the actor named by a field of its data (or computed from the data by a
    function, e.g. a shard of a week), and answers the sidecar.

    The actor method receives ``{"event_id": <CloudEvent id>, "data": <validated data>}``.
    Malformed -> DROP (dead-letter topic); other types on the topic -> SUCCESS (ignored);
    sidecar / state store down -> RETRY.
    """
    try:
        envelope, data = parse_event(body)
    except UndeliverableEvent as error:
        log.error("dropping event %s: %s", body.get("id"), error)
        return status(DeliveryStatus.DROP)
    if not isinstance(data, expected):
        return status(DeliveryStatus.SUCCESS)
    actor_id = actor_id_field(data) if callable(actor_id_field) else str(getattr(data, actor_id_field))
    try:
        await sidecar.invoke_actor(
            actor_type,
            actor_id,
            method,
            {"event_id": envelope.id, "data": data.model_dump(mode="json")},
        )
    except SidecarUnavailable as error:
        log.warning("retrying event %s: %s", envelope.id, error)
        return status(DeliveryStatus.RETRY)
    except (ActorMethodFailed, RuntimeError) as error:
        # a bug or a refusal for this message, not an outage: retrying would block the partition
        log.error("dropping event %s to the dead letters: %s", envelope.id, error)
        return status(DeliveryStatus.DROP)
    return status(DeliveryStatus.SUCCESS)
