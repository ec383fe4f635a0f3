"""In-memory stand-ins for the sidecar, for unit tests that drive the real actors.

The actors run on the Dapr SDK's own state manager and serializers; only the sidecar's actor API
(state, reminders) and this app's client of its state and publishing APIs are replaced, with faults
that can be injected at a chosen point: a failed save, a publish that meets an outage or is refused,
a process that dies. An actor's values on plain keys (``learnflow_common.dapr.actor_state``) are
counted, failed and listed as its actor state is.
"""

from __future__ import annotations

import hashlib
import json
from typing import Any, TypeVar

from dapr.actor import Actor, ActorId
from dapr.actor.runtime._type_information import ActorTypeInformation
from dapr.actor.runtime.context import ActorRuntimeContext
from dapr.clients.base import DaprActorClientBase

from learnflow_common.dapr.actors import PLAIN_JSON, SidecarActor
from learnflow_common.dapr.errors import SidecarUnavailable, StateConflict
from learnflow_common.dapr.sidecar import StateEntry, Versioned
from learnflow_common.events import CloudEvent
from learnflow_common.settings import DaprAppSettings

ActorT = TypeVar("ActorT", bound=Actor)


class ProcessDied(BaseException):
    """Raised at an injected point: the app process is gone, nothing after it runs (not an
    ``Exception``, so no handler of the app catches it)."""


class MemoryActorStore(DaprActorClientBase):
    """The sidecar's actor state and reminder API over dicts.

    ``fail_saves`` makes the next saves fail: ``"outage"`` like a state store outage,
    ``"transport"`` like a connection lost while the sidecar may or may not have stored them.
    """

    def __init__(self) -> None:
        self.values: dict[tuple[str, str], bytes] = {}
        #: the plain state (``MemoryPublisher.state``): :meth:`stored` lists an actor's plain keys too
        self.plain: dict[str, Any] = {}
        self.reminders: dict[tuple[str, str], dict[str, Any]] = {}
        self.reminder_registrations = 0
        self.transactions = 0
        #: every key the actors asked the sidecar for, in order
        self.reads: list[str] = []
        #: the round trips those reads took (a bulk read of plain keys is one)
        self.exchanges = 0
        self.fail_saves: list[str] = []

    async def get_state(self, actor_type: str, actor_id: str, name: str) -> bytes:
        self.reads.append(name)
        self.exchanges += 1
        return self.values.get((actor_id, name), b"")

    def transaction(self) -> None:
        """Counts a transaction, or fails it as ``fail_saves`` says."""
        if self.fail_saves:
            kind = self.fail_saves.pop(0)
            if kind == "outage":
                raise SidecarUnavailable("ERR_STATE_TRANSACTION: store down", "state-store")
            raise ConnectionResetError("connection to the sidecar lost during the save")
        self.transactions += 1

    async def save_state_transactionally(self, actor_type: str, actor_id: str, data: bytes) -> None:
        self.transaction()
        for operation in json.loads(data):
            key = (actor_id, operation["request"]["key"])
            if operation["operation"] == "upsert":
                self.values[key] = PLAIN_JSON.serialize(operation["request"]["value"])
            else:
                self.values.pop(key, None)

    def stored(self, actor_id: str) -> dict[str, Any]:
        """The actor's values: its actor state and its plain keys (``<prefix>~<id>~<name>``)."""
        values = {name: json.loads(value) for (owner, name), value in self.values.items() if owner == actor_id}
        marker = f"~{actor_id}~"
        for key, value in self.plain.items():
            if marker in key:
                values[key.split(marker, 1)[1]] = value
        return values

    async def register_reminder(self, actor_type: str, actor_id: str, name: str, data: bytes) -> None:
        self.reminder_registrations += 1
        self.reminders[(actor_id, name)] = json.loads(data)

    async def unregister_reminder(self, actor_type: str, actor_id: str, name: str) -> None:
        self.reminders.pop((actor_id, name), None)

    async def invoke_method(self, *args: Any, **kwargs: Any) -> bytes:
        raise NotImplementedError

    async def register_timer(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError

    async def unregister_timer(self, *args: Any, **kwargs: Any) -> None:
        raise NotImplementedError


def _etag_of(value: Any) -> str:
    return hashlib.sha256(json.dumps(value).encode()).hexdigest()


def _as_stored(value: Any) -> Any:
    """A copy of ``value`` as the sidecar would store and return it: through JSON."""
    return json.loads(json.dumps(value))


class MemoryPublisher:
    """This app's publishing client (``DaprSidecar.publish``) over a list, and its reads of plain
    (non-actor) state (``DaprSidecar.get_state``, ``get_bulk_state``) over ``state``, a dict of key
    to value.

    ``failures`` are raised by the next publishes, in order: an exception instance, e.g.
    ``SidecarUnavailable`` (broker down), ``RuntimeError`` (a 4xx refusal) or ``ProcessDied``.
    """

    def __init__(self, actor_store: MemoryActorStore | None = None) -> None:
        self.published: list[tuple[str, CloudEvent, str]] = []
        self.failures: list[BaseException] = []
        #: the actor state whose faults, counts and reads plain state shares
        self.actor_store = actor_store or MemoryActorStore()
        self.state: dict[str, Any] = self.actor_store.plain

    def _read(self, key: str) -> None:
        self.actor_store.reads.append(key.rsplit("~", 1)[-1])

    async def get_state(self, store: str, key: str) -> StateEntry | None:
        """The stored value, and an ETag that changes whenever it does."""
        self._read(key)
        self.actor_store.exchanges += 1
        if key not in self.state:
            return None
        stored = json.dumps(self.state[key]).encode()
        return StateEntry(key, stored, etag=_etag_of(self.state[key]))

    async def get_bulk_versioned(self, store: str, keys: list[str]) -> dict[str, Versioned | None]:
        for key in keys:
            self._read(key)
        self.actor_store.exchanges += 1
        return {
            key: Versioned(_as_stored(self.state[key]), _etag_of(self.state[key])) if key in self.state else None
            for key in keys
        }

    async def save_if_unchanged(self, store: str, writes: dict[str, Versioned]) -> None:
        """As the sidecar: each key saved alone if its ETag still matches; a mismatch raises after."""
        self.actor_store.transaction()
        changed = [
            key for key, write in writes.items() if key not in self.state or _etag_of(self.state[key]) != write.etag
        ]
        for key, write in writes.items():
            if key not in changed:
                self.state[key] = _as_stored(write.value)
        if changed:
            raise StateConflict(f"changed since read: {changed}")

    async def save_state(self, store: str, key: str, value: Any) -> None:
        self.actor_store.transaction()
        self.state[key] = _as_stored(value)

    async def get_bulk_state(self, store: str, keys: list[str]) -> dict[str, Any]:
        for key in keys:
            self._read(key)
        self.actor_store.exchanges += 1
        return {key: _as_stored(self.state[key]) if key in self.state else None for key in keys}

    async def transact_state(self, store: str, changes: dict[str, Any]) -> None:
        self.actor_store.transaction()
        for key, value in changes.items():
            if value is None:
                self.state.pop(key, None)
            else:
                self.state[key] = _as_stored(value)

    async def publish(self, pubsub: str, topic: str, event: CloudEvent, partition_key: str) -> None:
        if self.failures:
            raise self.failures.pop(0)
        self.published.append((topic, event, partition_key))


class ActorHost:
    """One actor type's instances over a :class:`MemoryActorStore`; :meth:`restart` drops them
    all (a process restart, or Dapr deactivating them): the next call starts from what is stored."""

    def __init__(self, actor_type: type[ActorT], settings: DaprAppSettings) -> None:
        self.store = MemoryActorStore()
        self.publisher = MemoryPublisher(self.store)
        self._context = ActorRuntimeContext(ActorTypeInformation.create(actor_type), PLAIN_JSON, PLAIN_JSON, self.store)
        self._actor_type = actor_type
        self._actors: dict[str, Actor] = {}
        if issubclass(actor_type, SidecarActor):
            # the stand-in for the sidecar: the actors under test only publish and read plain state through it
            actor_type.bind(self.publisher, settings)  # type: ignore[arg-type]
            SidecarActor._publishing_paused_until = 0.0

    def actor(self, actor_id: str) -> Any:
        if actor_id not in self._actors:
            actor = self._actor_type(self._context, ActorId(actor_id))
            if isinstance(actor, SidecarActor):  # this host's stand-in, whichever host bound the class last
                actor.sidecar = self.publisher  # type: ignore[misc,assignment]
            self._actors[actor_id] = actor
        return self._actors[actor_id]

    def restart(self) -> None:
        self._actors.clear()
