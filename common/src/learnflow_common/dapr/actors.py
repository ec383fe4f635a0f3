"""Actors that talk to their own sidecar, and an outbox that publishes what they committed.

The Python SDK constructs actors itself, so an actor cannot take the app's sidecar client as a
constructor argument; :meth:`SidecarActor.bind` hands it over once, at start-up.

The outbox: an actor stores the events a change produces in the same state transaction as the
change (key ``outbox``), then publishes them and removes them. A crash or a broker outage between
the two leaves them stored; the next turn of that actor publishes them. Events are therefore
never lost and never invented; a consumer may see one twice and deduplicates on the CloudEvent id.
"""

from __future__ import annotations

import logging
from datetime import timedelta
from typing import Any, ClassVar

from dapr.actor import Actor, Remindable

from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.events import CloudEvent
from learnflow_common.settings import DaprAppSettings

OUTBOX_KEY = "outbox"
OUTBOX_REMINDER = "outbox-retry"
OUTBOX_RETRY_DUE = timedelta(seconds=10)
OUTBOX_RETRY_PERIOD = timedelta(seconds=30)
log = logging.getLogger(__name__)


class SidecarActor(Actor, Remindable):
    sidecar: ClassVar[DaprSidecar]
    settings: ClassVar[DaprAppSettings]

    @classmethod
    def bind(cls, sidecar: DaprSidecar, settings: DaprAppSettings) -> None:
        cls.sidecar = sidecar
        cls.settings = settings

    async def stage_events(self, topic: str, events: list[CloudEvent]) -> None:
        """Adds events to the outbox; they are committed by the caller's ``save_state()``."""
        pending: list[dict[str, Any]] = await self._state_manager.get_or_add_state(OUTBOX_KEY, [])
        staged = [
            {"topic": topic, "partition_key": self.id.id, "event": event.model_dump(mode="json")} for event in events
        ]
        await self._state_manager.set_state(OUTBOX_KEY, [*pending, *staged])

    async def flush_outbox(self) -> int:
        """Publishes committed events in order; returns how many are still pending."""
        found, pending = await self._state_manager.try_get_state(OUTBOX_KEY)
        if not found or not pending:
            return 0
        published = 0
        for entry in pending:
            try:
                await self.sidecar.publish(
                    self.settings.pubsub,
                    entry["topic"],
                    CloudEvent.model_validate(entry["event"]),
                    partition_key=entry["partition_key"],
                )
            except SidecarUnavailable as error:
                log.warning("outbox of %s: %d event(s) kept for later: %s", self.id, len(pending) - published, error)
                break
            published += 1
        if published:
            await self._state_manager.set_state(OUTBOX_KEY, pending[published:])
            await self._state_manager.save_state()
        remaining = len(pending) - published
        if remaining:
            # Nobody may call this actor again soon: a reminder (durable, via the scheduler) retries.
            try:
                await self.register_reminder(OUTBOX_REMINDER, b"", OUTBOX_RETRY_DUE, OUTBOX_RETRY_PERIOD)
            except Exception:  # the change is committed; the next call to this actor retries too
                log.exception("outbox of %s: could not register the retry reminder", self.id)
        return remaining

    async def receive_reminder(
        self, name: str, state: bytes, due_time: timedelta, period: timedelta, *args: Any
    ) -> None:
        if name == OUTBOX_REMINDER and await self.flush_outbox() == 0:
            await self.unregister_reminder(OUTBOX_REMINDER)
