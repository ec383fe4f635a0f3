"""Where an actor keeps its values: the SDK's actor state, or plain keys of the state store.

Both hold what the actor read while it is active, stage changes, and commit them in one state
transaction; an actor is the only writer of its values either way (Dapr runs one instance of it,
one call at a time), so neither needs an ETag, as actor state never had one.

What they hold of values read or committed is bounded: the ``cached`` most recently used (values
staged and not committed yet are always held). An actor stays active as long as it is called, and
one that holds every value it ever wrote grows without bound: the feed's day actor held the whole
day's feed, a learner's actor every lesson generated for them (benchmarks/results/PROFILE.md,
Phase 15). A value no longer held is read again from the store, where it is the same, since the
actor is its only writer.

And what a process holds is bounded: an actor stays active for ``ACTOR_IDLE_SECONDS`` after its last
call, so the values of every learner of the last ten minutes stayed in memory. At most
``ACTORS_HOLDING_VALUES`` actors of a process hold values at once (:class:`ValueHolders`); the one
that used its values least recently lets them go when one more starts holding some.

- :class:`SdkActorState`: the SDK's state manager (keys ``<app>||<type>||<id>||<key>``). Only
  its actor can read them: Dapr's state API refuses keys that hold ``||``.
- :class:`PlainKeyState`: keys ``<prefix>~<id>~<key>`` through the state API. The app can read them
  without calling the actor (one sidecar exchange instead of an actor call): ids never hold ``~``
  (``learnflow_common.validation``), so no two actors' keys can meet.
"""

from __future__ import annotations

import weakref
from collections import OrderedDict
from collections.abc import Iterable
from functools import partial
from typing import TYPE_CHECKING, Any, Protocol

from dapr.actor.runtime.state_change import StateChangeKind
from dapr.actor.runtime.state_manager import ActorStateManager, StateMetadata

if TYPE_CHECKING:
    from learnflow_common.dapr.sidecar import DaprSidecar


class ActorState(Protocol):
    """An actor's values: read through what is staged, staged, committed all at once."""

    async def get(self, key: str) -> Any | None:
        """The value (staged, else stored), ``None`` when there is none."""
        ...

    def stage(self, key: str, value: Any) -> None:
        """Stages a value for the next :meth:`commit`."""
        ...

    async def remove(self, key: str) -> None:
        """Stages the removal of a value for the next :meth:`commit`."""
        ...

    async def prefetch(self, keys: Iterable[str]) -> None:
        """Reads ahead the values of ``keys`` a call is about to read, where that saves exchanges."""
        ...

    async def commit(self) -> None:
        """Commits what is staged in one state transaction; after a failure, forgets everything
        read or staged (the next read asks the store again)."""
        ...

    async def forget(self) -> None:
        """Forgets everything read or staged."""
        ...


class HoldsValues(Protocol):
    def let_go(self) -> None:
        """Forgets the values read or committed, not those staged (read again when needed)."""
        ...


class ValueHolders:
    """The actor states of one process that hold values, at most ``capacity`` at once, the least
    recently used first. When one more starts holding values, the least recently used lets its
    values go (:meth:`HoldsValues.let_go`), even in the middle of a call: it reads them again when
    needed, and they are the same, since its actor is their only writer. A state no longer referenced
    (its actor deactivated) leaves by itself."""

    def __init__(self, capacity: int) -> None:
        if capacity < 1:
            raise ValueError("at least one actor must be able to hold values")
        self.capacity = capacity
        self._holders: OrderedDict[int, weakref.ref[HoldsValues]] = OrderedDict()

    def __len__(self) -> int:
        return len(self._holders)

    def used(self, holder: HoldsValues) -> None:
        """``holder`` holds values and used them now."""
        key = id(holder)
        if key in self._holders:
            self._holders.move_to_end(key)
            return
        self._holders[key] = weakref.ref(holder, partial(self._leave, key))
        while len(self._holders) > self.capacity:
            _, least_recent = self._holders.popitem(last=False)
            if (letting_go := least_recent()) is not None:
                letting_go.let_go()

    def _leave(self, key: int, _: object) -> None:
        """A holder no longer referenced (its actor deactivated) is gone."""
        self._holders.pop(key, None)


class SdkActorState:
    """The SDK's actor state manager (its cache and change tracker), its cache bounded."""

    def __init__(self, manager: ActorStateManager[Any], cached: int, holders: ValueHolders | None = None) -> None:
        self._manager = manager
        self._cached = cached
        self._holders = holders

    async def get(self, key: str) -> Any | None:
        tracker = self._manager._get_contextual_state_tracker()
        held = tracker.get(key)
        if held is not None and held.change_kind == StateChangeKind.none:
            tracker[key] = tracker.pop(key)  # the most recently used last
            if self._holders is not None:
                self._holders.used(self)
            return held.value
        found, value = await self._manager.try_get_state(key)
        self._trim()
        return value if found else None

    def _trim(self) -> None:
        """Forgets the least recently used values read or committed beyond the bound (the SDK keeps
        them in its change tracker, marked unchanged, in the order they were last used)."""
        _forget_held(self._manager._get_contextual_state_tracker(), keep=self._cached)
        if self._holders is not None:
            self._holders.used(self)

    def let_go(self) -> None:
        """Called during another actor's call: this actor's own tracker, not the one of the running
        call's context (which reentrancy would make the caller's)."""
        _forget_held(self._manager._default_state_change_tracker, keep=0)

    def stage(self, key: str, value: Any) -> None:
        """The SDK's ``set_state`` first asks the sidecar whether a key it has not cached exists, only
        to label the change "add" or "update"; both are saved as the same upsert. Every update writes a
        new ``id-`` key, so that question cost a round trip per update (PROFILE.md): staged here
        directly in the SDK's change tracker, with the same effect on the committed transaction."""
        tracker = self._manager._get_contextual_state_tracker()
        metadata = tracker.pop(key, None)  # put back last: the most recently used
        if metadata is None:
            tracker[key] = StateMetadata(value, StateChangeKind.update)
            return
        tracker[key] = metadata
        metadata.value = value
        if metadata.change_kind in (StateChangeKind.none, StateChangeKind.remove):
            metadata.change_kind = StateChangeKind.update

    async def remove(self, key: str) -> None:
        """Staged directly too, without the SDK's question whether the key has a value: deleting
        one that has none changes nothing."""
        self._manager._get_contextual_state_tracker()[key] = StateMetadata(None, StateChangeKind.remove)

    async def prefetch(self, keys: Iterable[str]) -> None:
        """Nothing to read ahead: the SDK's actor state API reads one key per exchange anyway."""

    async def commit(self) -> None:
        """The SDK marks values saved before it sends them, so after a failed save its cache would
        answer with values never stored: forget them all."""
        try:
            await self._manager.save_state()
        except BaseException:
            await self._manager.clear_cache()
            raise
        self._trim()

    async def forget(self) -> None:
        await self._manager.clear_cache()


def _forget_held(tracker: dict[str, StateMetadata[Any]], keep: int) -> None:
    """Forgets all but the ``keep`` most recently used unchanged values of an SDK change tracker. The
    SDK empties a tracker in a worker thread (``clear_cache``: after a failed save, at deactivation),
    so it is read in one step and each value removed only if still there."""
    held = [key for key, metadata in list(tracker.items()) if metadata.change_kind == StateChangeKind.none]
    for key in held[: max(0, len(held) - keep)]:
        tracker.pop(key, None)


class PlainKeyState:
    """An actor's values as plain keys of the state store (see the module docstring)."""

    def __init__(
        self,
        sidecar: DaprSidecar,
        store: str,
        prefix: str,
        actor_id: str,
        cached: int,
        holders: ValueHolders | None = None,
    ) -> None:
        self._sidecar, self._store = sidecar, store
        self._key_prefix = plain_key_prefix(prefix, actor_id)
        self._cached = cached
        self._holders = holders
        #: what was read or committed (``None``: known to have no value), least recently used first
        self._known: OrderedDict[str, Any | None] = OrderedDict()
        #: changes not committed yet (``None``: remove)
        self._staged: dict[str, Any | None] = {}

    def key(self, name: str) -> str:
        return self._key_prefix + name

    async def get(self, key: str) -> Any | None:
        if key in self._staged:
            return self._staged[key]
        if key in self._known:
            self._known.move_to_end(key)
            if self._holders is not None:
                self._holders.used(self)
            return self._known[key]
        entry = await self._sidecar.get_state(self._store, self.key(key))
        value = self._known[key] = entry.value if entry is not None else None
        self._trim()
        return value

    async def prefetch(self, keys: Iterable[str]) -> None:
        """Reads the values of ``keys`` not known yet in one sidecar exchange."""
        wanted = [key for key in keys if key not in self._known and key not in self._staged]
        if not wanted:
            return
        if len(wanted) == 1:
            await self.get(wanted[0])  # a plain GET costs the sidecar less than a bulk read of one
            return
        found = await self._sidecar.get_bulk_state(self._store, [self.key(key) for key in wanted])
        for key in wanted:
            self._known[key] = found[self.key(key)]
        self._trim()

    def stage(self, key: str, value: Any) -> None:
        self._staged[key] = value

    async def remove(self, key: str) -> None:
        self._staged[key] = None

    async def commit(self) -> None:
        if not self._staged:
            return
        staged, self._staged = self._staged, {}
        try:
            await self._sidecar.transact_state(self._store, {self.key(key): value for key, value in staged.items()})
        except BaseException:
            self._known.clear()
            raise
        for key, value in staged.items():
            self._known[key] = value
            self._known.move_to_end(key)
        self._trim()

    def _trim(self) -> None:
        """Forgets the least recently used values beyond the bound."""
        while len(self._known) > self._cached:
            self._known.popitem(last=False)
        if self._holders is not None:
            self._holders.used(self)

    def let_go(self) -> None:
        self._known.clear()

    async def forget(self) -> None:
        self._known.clear()
        self._staged.clear()


def plain_key_prefix(prefix: str, actor_id: str) -> str:
    """What every plain key of one actor starts with."""
    return f"{prefix}~{actor_id}~"
