"""Subscription deliveries from the sidecar (declared in components/subscriptions.yaml)."""

from __future__ import annotations

import logging
from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from course_agent.adapters.actors import ACTOR_TYPE
from learnflow_common.app import get_sidecar
from learnflow_common.dapr import DaprSidecar, SidecarUnavailable
from learnflow_common.events import ProgressUpdatedV1
from learnflow_common.subscriptions import DeliveryStatus, UndeliverableEvent, parse_event, status

router = APIRouter(prefix="/events", tags=["dapr"], include_in_schema=False)
log = logging.getLogger(__name__)


@router.post("/progress-events")
async def on_progress_event(
    body: Annotated[dict[str, Any], Body()], sidecar: Annotated[DaprSidecar, Depends(get_sidecar)]
) -> dict[str, str]:
    try:
        envelope, data = parse_event(body)
    except UndeliverableEvent as error:
        log.error("dropping progress event %s: %s", body.get("id"), error)
        return status(DeliveryStatus.DROP)
    if not isinstance(data, ProgressUpdatedV1):
        return status(DeliveryStatus.SUCCESS)  # another type on the topic: not ours to act on
    try:
        await sidecar.invoke_actor(
            ACTOR_TYPE,
            data.learner_id,
            "ApplyProgress",
            {"event_id": envelope.id, "data": data.model_dump(mode="json")},
        )
    except SidecarUnavailable as error:
        log.warning("retrying progress event %s: %s", envelope.id, error)
        return status(DeliveryStatus.RETRY)
    return status(DeliveryStatus.SUCCESS)
