"""Subscription deliveries from the sidecar (declared in components/subscriptions.yaml)."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Body, Depends

from course_agent.adapters.actors import ACTOR_TYPE
from learnflow_common.app import get_sidecar
from learnflow_common.dapr import DaprSidecar
from learnflow_common.events import ProgressUpdatedV1
from learnflow_common.subscriptions import deliver_to_actor

router = APIRouter(prefix="/events", tags=["dapr"], include_in_schema=False)


@router.post("/progress-events")
async def on_progress_event(
    body: Annotated[dict[str, Any], Body()], sidecar: Annotated[DaprSidecar, Depends(get_sidecar)]
) -> dict[str, str]:
    """Folds a learner's progress into the agent's own knowledge of them."""
    return await deliver_to_actor(body, sidecar, ProgressUpdatedV1, ACTOR_TYPE, "ApplyProgress", "learner_id")
