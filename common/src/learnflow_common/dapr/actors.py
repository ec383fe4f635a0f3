"""Actors that talk to their own sidecar, and an outbox that publishes what they committed.

The Python SDK constructs actors itself, so an actor cannot take the app's sidecar client as a
constructor argument; :meth:`SidecarActor.bind` hands it over once, at start-up. An actor keeps its
values in its actor state, or as plain keys of the state store when it says so
(:meth:`SidecarActor.make_state`, ``learnflow_common.dapr.actor_state``); the outbox works on either.

The outbox: an actor stores the events a change produces in the same state transaction as the
change (key ``outbox``), then publishes them - after the call has answered, still in the actor's
turn (:meth:`SidecarActor.publish_after_answer`) - and removes them; the removal is committed with the
actor's next change (or by the reminder), not in a transaction of its own. Events are never lost
and never invented; a consumer may see one twice and deduplicates on the CloudEvent id.

- Before that transaction is committed, a durable reminder (``outbox-retry``, kept by the
  scheduler) is registered, so if the process dies between the commit and the publish, or the
  broker is down, the reminder publishes the staged events without waiting for the learner's next
  call (within a period, a minute). Each registration, firing and removal is a scheduler round trip
  (2-3 ms of CPU across the scheduler, the sidecar and the app), and at a person's pace - an update
  every 20 s or more - they outweighed the update itself (``benchmarks/learner_pace.py``). So the
  reminder is registered only when the actor's values do not already say it is registered (key
  ``outbox-reminder``, written in the same transaction), a firing that finds the outbox empty
  commits nothing while the actor is still staging events, and the reminder unregisters itself (the
  emptied outbox and the flag's removal in one transaction) once it finds the outbox empty and no
  event staged for ``OUTBOX_QUIET_SECONDS``. If the scheduler cannot register it, the change is still
  committed and the actor's next call or reminder publishes.
- A publish the sidecar refuses (4xx: body refused, topic not allowed) would be refused again on
  every retry: the event is moved aside (key ``outbox-undeliverable``, the latest 100 kept) and
  logged as an error, and the events after it go out. The change itself stays committed and its
  call answers success; no later call fails because of it.
"""

from __future__ import annotations

import logging
import time
from collections.abc import AsyncIterator, Callable, Mapping, Sequence
from contextlib import asynccontextmanager
from datetime import datetime, timedelta
from typing import TYPE_CHECKING, Any, ClassVar

from dapr.actor import Actor, Remindable
from dapr.actor.runtime.config import ActorRuntimeConfig
from dapr.serializers import DefaultJSONSerializer

from learnflow_common.dapr import json_body
from learnflow_common.dapr.actor_state import ActorState, SdkActorState, ValueHolders
from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.dapr.turns import after_answer
from learnflow_common.events import CloudEvent
from learnflow_common.metrics import OUTBOX_BACKLOG, OUTBOX_EVENTS
from learnflow_common.settings import DaprAppSettings

if TYPE_CHECKING:
    from dapr.actor.runtime._method_context import ActorMethodContext

OUTBOX_KEY = "outbox"
OUTBOX_REMINDER = "outbox-retry"
#: ``True`` while ``OUTBOX_REMINDER`` is registered (set only after a successful registration).
OUTBOX_REMINDER_KEY = "outbox-reminder"
#: Events the sidecar refused to publish, with its answer: for an operator to inspect.
UNDELIVERABLE_KEY = "outbox-undeliverable"
UNDELIVERABLE_KEPT = 100
#: Every key of the outbox protocol, as an actor's values hold them.
OUTBOX_KEYS = (OUTBOX_KEY, OUTBOX_REMINDER_KEY, UNDELIVERABLE_KEY)
#: What :meth:`SidecarActor.stage_events` reads: an actor about to stage events may read them ahead.
STAGING_READS = (OUTBOX_KEY, OUTBOX_REMINDER_KEY)
#: The reminder's first firing and its period: how long events left by a dead process or a broker
#: outage wait at most for it (a call of the actor publishes them sooner).
OUTBOX_RETRY_DUE = timedelta(seconds=60)
OUTBOX_RETRY_PERIOD = timedelta(seconds=60)
#: A firing that finds the outbox empty and nothing staged for this long unregisters the reminder;
#: shorter than the period, so one firing after a learner's last event is enough.
OUTBOX_QUIET_SECONDS = 45.0
#: The clock of that rule (tests move it).
outbox_clock: Callable[[], float] = time.monotonic
#: After a failed publish, calls skip publishing inline for this long (the reminder keeps trying),
#: so a broker outage does not add a publish timeout to every request.
OUTBOX_INLINE_BACKOFF_SECONDS = 15.0
log = logging.getLogger(__name__)


class PlainJSONSerializer(DefaultJSONSerializer):
    """JSON in, JSON out. The SDK's default decoder turns any string that starts like a date
    (an event_id "2026-11-20-quiz", a learner "2026-bob") into a datetime, or fails on it, and
    strings like "10s" into timedeltas; ids and payloads must come back exactly as they were sent.
    Actor answers and values (JSON's types: ``ActorMethod.answer``, ``to_dict`` forms) are written
    by ``json_body``; the SDK's own bodies exactly as the SDK writes them (:func:`_sdk_body`)."""

    def serialize(self, obj: object, custom_hook: Callable[[object], bytes] | None = None) -> bytes:
        if callable(custom_hook) or _sdk_body(obj):
            return super().serialize(obj, custom_hook)
        return json_body.encode(obj)

    def deserialize(
        self, data: bytes, data_type: type | None = object, custom_hook: Callable[[Any], object] | None = None
    ) -> Any:
        if not isinstance(data, (str, bytes)):
            raise ValueError("data must be str or bytes")
        value = json_body.decode(data)
        return custom_hook(value) if callable(custom_hook) else value


PLAIN_JSON = PlainJSONSerializer()


def _sdk_body(obj: object) -> bool:
    """What the SDK hands its serializer itself, in forms of its own: bytes (base64), its runtime
    configuration, and reminders and timers (``ActorReminderData.as_dict()``: their times are
    timedeltas, written as Go durations, which daprd reads)."""
    if isinstance(obj, (bytes, ActorRuntimeConfig)):
        return True
    return isinstance(obj, dict) and any(isinstance(value, (timedelta, datetime, bytes)) for value in obj.values())


class SidecarActor(Actor, Remindable):
    """Base of LearnFlow's actors. Concrete actors must list ``Remindable`` among their own direct
    bases too: the SDK only delivers reminders to classes that do (it checks ``__bases__``)."""

    sidecar: ClassVar[DaprSidecar]
    settings: ClassVar[DaprAppSettings]
    #: The actors of the process holding values at once, bounded (``actor_state.ValueHolders``).
    value_holders: ClassVar[ValueHolders]
    _publishing_paused_until: ClassVar[float] = 0.0
    #: When this activation last staged events (``outbox_clock``). A reminder that finds the outbox
    #: empty unregisters itself only when the actor has gone quiet: for an active learner, registering
    #: it again every few updates cost a scheduler round trip each time (PROFILE.md).
    _last_staged: float | None = None
    _values: ActorState | None = None

    @classmethod
    def bind(cls, sidecar: DaprSidecar, settings: DaprAppSettings, value_holders: ValueHolders | None = None) -> None:
        """``value_holders``: the process's, shared by its actor types (one of this type's own if not given)."""
        cls.sidecar = sidecar
        cls.settings = settings
        cls.value_holders = ValueHolders(settings.actors_holding_values) if value_holders is None else value_holders

    async def _on_post_actor_method_internal(self, method_context: ActorMethodContext) -> None:
        """The SDK commits whatever is staged after every method. These actors commit explicitly,
        where the outbox protocol needs it; what they leave staged on purpose (an outbox emptied by
        a publish) rides on the next commit."""
        await self._on_post_actor_method(method_context)

    def make_state(self) -> ActorState:
        """Where this actor keeps its values (``learnflow_common.dapr.actor_state``): its actor state
        unless a subclass says otherwise."""
        return SdkActorState(self._state_manager, self.settings.actor_cached_values, self.value_holders)

    async def _on_deactivate(self) -> None:
        """Dapr deactivated this actor (idle for ``ACTOR_IDLE_SECONDS``): what it holds is let go now.
        An actor sits in a reference cycle (the SDK's state manager points back at it), so without
        this its cached values would wait for a full collection of the garbage collector, which
        comes rarely (``learnflow_common.collector``)."""
        self._values = None

    @property
    def state(self) -> ActorState:
        """This activation's values: what it read, staged and committed."""
        if self._values is None:
            self._values = self.make_state()
        return self._values

    async def state_or_none(self, key: str) -> Any | None:
        """A state value, or ``None`` when the actor has none under ``key``."""
        return await self.state.get(key)

    @property
    def _backlog_key(self) -> str:
        return f"{type(self).__name__}/{self.id.id}"

    @property
    def reader(self) -> ActorState:
        """The actor's state as a storage layout's reader (``get(key)``)."""
        return self.state

    async def stage_changes(self, changes: Mapping[str, Any]) -> None:
        """Stages a layout's changes (``None`` removes the value) for the next :meth:`commit_state`."""
        for key, value in changes.items():
            if value is None:
                await self.state.remove(key)
            else:
                self.stage(key, value)

    def stage(self, key: str, value: Any) -> None:
        """Stages one value for the next :meth:`commit_state`."""
        self.state.stage(key, value)

    @asynccontextmanager
    async def staging(self) -> AsyncIterator[None]:
        """Stages a batch's values one after another (each read through the ones before): if anything
        inside raises, all that is staged or cached is forgotten, so no value of a half-staged batch is
        read or committed by a later call (it reloads what is stored)."""
        try:
            yield
        except BaseException:
            await self.state.forget()
            raise

    async def save_changes(self, changes: Mapping[str, Any]) -> None:
        """Stages ``changes`` and commits everything staged in one transaction."""
        await self.stage_changes(changes)
        await self.commit_state()

    async def convert(self, batches: Sequence[Mapping[str, Any]]) -> None:
        """Saves a conversion of values stored in an earlier form, one transaction a batch, then
        forgets the cache so what follows reads the converted values."""
        for batch in batches:
            await self.save_changes(batch)
        if batches:
            await self.state.forget()

    async def commit_state(self) -> None:
        """Commits the staged values in one state transaction; after a failure, everything read or
        staged is forgotten, and the next call reloads what is really stored."""
        await self.state.commit()

    async def stage_events(self, topic: str, events: list[CloudEvent]) -> None:
        """Adds events to the outbox; they are committed by the caller's :meth:`commit_state`, after
        the retry reminder is registered (see the module docstring)."""
        pending: list[dict[str, Any]] = await self.state_or_none(OUTBOX_KEY) or []
        staged = [
            {"topic": topic, "partition_key": self.id.id, "event": event.model_dump(mode="json")} for event in events
        ]
        self._last_staged = outbox_clock()
        self.stage(OUTBOX_KEY, [*pending, *staged])
        OUTBOX_EVENTS.labels("staged").inc(len(staged))
        OUTBOX_BACKLOG.set(self._backlog_key, len(pending) + len(staged))
        await self._arm_outbox_reminder()

    async def publish_after_answer(self) -> None:
        """Publishes the committed outbox once the caller has its answer, still in this actor's turn
        (``learnflow_common.dapr.turns``): the publish leaves the caller's latency, and the next call
        on this actor waits for it, so events still go out in order. If the process dies first, the
        reminder publishes them. Outside a dispatched call (tests calling a method directly), now."""
        if not after_answer(self.flush_outbox):
            await self.flush_outbox()

    async def flush_outbox(self, force: bool = False) -> int:
        """Publishes committed events in order; returns how many are still pending.

        Never raises for a publish: an outage keeps the events for the reminder, a refusal moves
        the event aside. The change that staged them is committed whatever happens here.
        """
        pending: list[dict[str, Any]] = await self.state_or_none(OUTBOX_KEY) or []
        if not pending:
            return 0
        if not force and time.monotonic() < SidecarActor._publishing_paused_until:
            await self._arm_outbox_reminder()
            await self._commit_outbox()
            OUTBOX_EVENTS.labels("kept").inc(len(pending))
            return len(pending)
        done = 0
        refused: list[dict[str, Any]] = []
        for entry in pending:
            try:
                await self.sidecar.publish(
                    self.settings.pubsub,
                    entry["topic"],
                    CloudEvent.model_validate(entry["event"]),
                    partition_key=entry["partition_key"],
                )
            except SidecarUnavailable as error:
                log.warning("outbox of %s: %d event(s) kept for later: %s", self.id, len(pending) - done, error)
                SidecarActor._publishing_paused_until = time.monotonic() + OUTBOX_INLINE_BACKOFF_SECONDS
                OUTBOX_EVENTS.labels("kept").inc(len(pending) - done)
                break
            except Exception as error:  # refused as it stands: retrying gets the same answer
                log.error(
                    "outbox of %s: event %s to %s refused, moved to %s: %s",
                    self.id,
                    entry.get("event", {}).get("id"),
                    entry.get("topic"),
                    UNDELIVERABLE_KEY,
                    error,
                )
                refused.append({**entry, "error": str(error)[:500]})
                OUTBOX_EVENTS.labels("undeliverable").inc()
            else:
                OUTBOX_EVENTS.labels("published").inc()
            done += 1
        if done:
            self.stage(OUTBOX_KEY, pending[done:])
        if refused:
            kept: list[dict[str, Any]] = await self.state_or_none(UNDELIVERABLE_KEY) or []
            self.stage(UNDELIVERABLE_KEY, [*kept, *refused][-UNDELIVERABLE_KEPT:])
        remaining = len(pending) - done
        OUTBOX_BACKLOG.set(self._backlog_key, remaining)
        if remaining:
            await self._arm_outbox_reminder()
        if remaining or refused:
            await self._commit_outbox()
        # Else all went out, and the emptied outbox stays staged: it is committed with this actor's
        # next change or by the reminder, which saves a transaction on every call. Until then the
        # store still lists published events; only if the process dies first does the reminder
        # publish them again, and consumers deduplicate on the CloudEvent id.
        return remaining

    async def _commit_outbox(self) -> None:
        """Commits what publishing changed. If the store fails now, the published events stay in
        the outbox and go out again later (consumers dedupe): no reason to fail the caller's call."""
        try:
            await self.commit_state()
        except Exception as error:
            log.warning("outbox of %s: could not record what was published: %s", self.id, error)

    async def _arm_outbox_reminder(self) -> None:
        """Registers the retry reminder unless the actor's values say it is registered, and stages
        that fact for the caller's commit."""
        if await self.state_or_none(OUTBOX_REMINDER_KEY):
            return
        try:
            await self.register_reminder(OUTBOX_REMINDER, b"", OUTBOX_RETRY_DUE, OUTBOX_RETRY_PERIOD)
        except Exception:  # the change is committed anyway; the next call to this actor publishes
            log.exception("outbox of %s: could not register the retry reminder", self.id)
            return
        self.stage(OUTBOX_REMINDER_KEY, True)

    async def receive_reminder(
        self, name: str, state: bytes, due_time: timedelta, period: timedelta, *args: Any
    ) -> None:
        """Publishes what is left; with the outbox empty and the actor quiet, forgets the flag, then
        the reminder (in that order: a stored flag always means a registered reminder). While the
        actor is still staging events it keeps the reminder and commits nothing: the emptied outbox
        rides on the actor's next change or on the quiet firing's commit."""
        if name != OUTBOX_REMINDER or await self.flush_outbox(force=True):
            return
        if self._last_staged is not None and outbox_clock() - self._last_staged < OUTBOX_QUIET_SECONDS:
            return
        await self.state.remove(OUTBOX_REMINDER_KEY)
        await self.commit_state()
        await self.unregister_reminder(OUTBOX_REMINDER)
