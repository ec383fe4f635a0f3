"""LearnerProgressActor: one per learner, so that a learner's events are applied one at a time.

Dapr guarantees a single active instance per actor id and turn-based calls, which is what makes
concurrent updates for one learner add up exactly. The record and the events it produces are
saved in one state transaction (see learnflow_common.dapr.actors for the outbox).
"""

from __future__ import annotations

import uuid
from typing import Any

from dapr.actor import ActorInterface, actormethod

from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.events import PROGRESS_EVENTS_TOPIC, CloudEvent, ProgressUpdatedV1
from user_progress.domain.progress import EventConflict, LearnerRecord, LearningEvent, record_event

RECORD_KEY = "record"
ACTOR_TYPE = "LearnerProgressActor"
EVENT_ID_NAMESPACE = uuid.UUID("6f1c1f55-3f0e-4d7c-9a55-2f5d0f3c4a10")


def status_view(record: LearnerRecord) -> dict[str, Any]:
    data = record.to_dict()
    data.pop("processed")
    return data


class LearnerProgressActions(ActorInterface):
    @actormethod(name="RecordEvent")
    async def record_event(self, event: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="GetStatus")
    async def get_status(self) -> dict[str, Any] | None: ...


class LearnerProgressActor(SidecarActor, LearnerProgressActions):
    async def record_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Returns ``{"outcome": "recorded" | "duplicate" | "conflict", "status": ...}``."""
        learning_event = LearningEvent.from_dict(event)
        found, raw = await self._state_manager.try_get_state(RECORD_KEY)
        current = LearnerRecord.from_dict(raw) if found else None
        try:
            result = record_event(current, learning_event)
        except EventConflict:
            return {"outcome": "conflict"}
        if not result.duplicate:
            await self._state_manager.set_state(RECORD_KEY, result.record.to_dict())
            await self.stage_events(PROGRESS_EVENTS_TOPIC, [self._progress_updated(learning_event, result.record)])
            await self._state_manager.save_state()
        await self.flush_outbox()
        return {"outcome": "duplicate" if result.duplicate else "recorded", "status": status_view(result.record)}

    async def get_status(self) -> dict[str, Any] | None:
        found, raw = await self._state_manager.try_get_state(RECORD_KEY)
        await self.flush_outbox()
        return status_view(LearnerRecord.from_dict(raw)) if found else None

    def _progress_updated(self, event: LearningEvent, record: LearnerRecord) -> CloudEvent:
        payload = ProgressUpdatedV1(
            learner_id=event.learner_id,
            source_event_id=event.event_id,
            activity=event.activity,
            topic=event.topic,
            score=event.score,
            duration_seconds=event.duration_seconds,
            completed_at=event.completed_at,
            events_recorded=record.events_recorded,
        )
        event_id = uuid.uuid5(EVENT_ID_NAMESPACE, f"{event.learner_id}/{event.event_id}/{payload.EVENT_TYPE}")
        return CloudEvent.wrap(
            event_id=str(event_id), source=self.settings.app_id, payload=payload, subject=event.learner_id
        )
