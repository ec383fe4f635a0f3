"""LearnerPlanActor: one per learner; holds the agent's knowledge of that learner.

Progress events for one learner are folded in one at a time (actor turns), so redeliveries and
concurrent deliveries cannot lose an update.
"""

from __future__ import annotations

from typing import Any

from dapr.actor import ActorInterface, actormethod

from course_agent.domain.knowledge import LearnerKnowledge, apply_progress
from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.events import ProgressUpdatedV1

KNOWLEDGE_KEY = "knowledge"
ACTOR_TYPE = "LearnerPlanActor"


class LearnerPlanActions(ActorInterface):
    @actormethod(name="ApplyProgress")
    async def apply_progress(self, delivery: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="GetKnowledge")
    async def get_knowledge(self) -> dict[str, Any] | None: ...


class LearnerPlanActor(SidecarActor, LearnerPlanActions):
    async def apply_progress(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """``delivery`` is ``{"event_id": <CloudEvent id>, "data": <progress.updated.v1 data>}``."""
        found, raw = await self._state_manager.try_get_state(KNOWLEDGE_KEY)
        current = LearnerKnowledge.from_dict(raw) if found else None
        updated = apply_progress(current, delivery["event_id"], ProgressUpdatedV1.model_validate(delivery["data"]))
        if updated is not current:
            await self._state_manager.set_state(KNOWLEDGE_KEY, updated.to_dict())
            await self._state_manager.save_state()
        return {"applied": updated is not current}

    async def get_knowledge(self) -> dict[str, Any] | None:
        found, raw = await self._state_manager.try_get_state(KNOWLEDGE_KEY)
        return raw if found else None
