"""Actors that talk to their own sidecar, and an outbox that publishes what they committed.

The Python SDK constructs actors itself, so an actor cannot take the app's sidecar client as a
constructor argument; :meth:`SidecarActor.bind` hands it over once, at start-up.

The outbox: an actor stores the events a change produces in the same state transaction as the
change (key ``outbox``), then publishes them and removes them. A crash or a broker outage between
the two leaves them stored; the next turn of that actor publishes them. Events are therefore
never lost and never invented; a consumer may see one twice and deduplicates on the CloudEvent id.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Callable
from datetime import timedelta
from typing import Any, ClassVar

from dapr.actor import Actor, Remindable
from dapr.serializers import DefaultJSONSerializer

from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.events import CloudEvent
from learnflow_common.settings import DaprAppSettings

OUTBOX_KEY = "outbox"
OUTBOX_REMINDER = "outbox-retry"
OUTBOX_RETRY_DUE = timedelta(seconds=10)
OUTBOX_RETRY_PERIOD = timedelta(seconds=30)
#: After a failed publish, calls skip publishing inline for this long (the reminder keeps trying),
#: so a broker outage does not add a publish timeout to every request.
OUTBOX_INLINE_BACKOFF_SECONDS = 15.0
log = logging.getLogger(__name__)


class PlainJSONSerializer(DefaultJSONSerializer):
    """JSON in, JSON out. The SDK's default decoder turns any string that starts like a date
    (an event_id "2026-11-20-quiz", a learner "2026-bob") into a datetime, or fails on it, and
    strings like "10s" into timedeltas; ids and payloads must come back exactly as they were sent."""

    def deserialize(
        self, data: bytes, data_type: type | None = object, custom_hook: Callable[[Any], object] | None = None
    ) -> Any:
        if not isinstance(data, (str, bytes)):
            raise ValueError("data must be str or bytes")
        value = json.loads(data)
        return custom_hook(value) if callable(custom_hook) else value


PLAIN_JSON = PlainJSONSerializer()


class SidecarActor(Actor, Remindable):
    """Base of LearnFlow's actors. Concrete actors must list ``Remindable`` among their own direct
    bases too: the SDK only delivers reminders to classes that do (it checks ``__bases__``)."""

    sidecar: ClassVar[DaprSidecar]
    settings: ClassVar[DaprAppSettings]
    _publishing_paused_until: ClassVar[float] = 0.0

    @classmethod
    def bind(cls, sidecar: DaprSidecar, settings: DaprAppSettings) -> None:
        cls.sidecar = sidecar
        cls.settings = settings

    async def state_or_none(self, key: str) -> Any | None:
        """A state value, or ``None`` when the actor has none under ``key``."""
        found, value = await self._state_manager.try_get_state(key)
        return value if found else None

    async def commit_state(self) -> None:
        """Commits the staged values in one actor state transaction. The SDK marks values saved
        before it sends them, so after a failed save its cache would answer with values never
        stored: forget them all, and the next call reloads what is really stored."""
        try:
            await self._state_manager.save_state()
        except BaseException:
            await self._state_manager.clear_cache()
            raise

    async def stage_events(self, topic: str, events: list[CloudEvent]) -> None:
        """Adds events to the outbox; they are committed by the caller's :meth:`commit_state`."""
        pending: list[dict[str, Any]] = await self._state_manager.get_or_add_state(OUTBOX_KEY, [])
        staged = [
            {"topic": topic, "partition_key": self.id.id, "event": event.model_dump(mode="json")} for event in events
        ]
        await self._state_manager.set_state(OUTBOX_KEY, [*pending, *staged])

    async def flush_outbox(self, force: bool = False) -> int:
        """Publishes committed events in order; returns how many are still pending."""
        found, pending = await self._state_manager.try_get_state(OUTBOX_KEY)
        if not found or not pending:
            return 0
        if not force and time.monotonic() < SidecarActor._publishing_paused_until:
            await self._ensure_retry_reminder()
            return len(pending)
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
                SidecarActor._publishing_paused_until = time.monotonic() + OUTBOX_INLINE_BACKOFF_SECONDS
                break
            published += 1
        if published:
            await self._state_manager.set_state(OUTBOX_KEY, pending[published:])
            await self.commit_state()
        remaining = len(pending) - published
        if remaining:
            await self._ensure_retry_reminder()
        return remaining

    async def _ensure_retry_reminder(self) -> None:
        """Nobody may call this actor again soon: a reminder (durable, via the scheduler) retries."""
        try:
            await self.register_reminder(OUTBOX_REMINDER, b"", OUTBOX_RETRY_DUE, OUTBOX_RETRY_PERIOD)
        except Exception:  # the change is committed; the next call to this actor retries too
            log.exception("outbox of %s: could not register the retry reminder", self.id)

    async def receive_reminder(
        self, name: str, state: bytes, due_time: timedelta, period: timedelta, *args: Any
    ) -> None:
        if name == OUTBOX_REMINDER and await self.flush_outbox(force=True) == 0:
            await self.unregister_reminder(OUTBOX_REMINDER)
