"""One turn at a time per actor, kept by the app as well as by its sidecar.

Dapr runs an actor's calls one at a time (turn-based concurrency), but the turn is held by daprd,
and daprd can let it go while a call is still running in the app: when placement restarts, daprd
logs "Timed out waiting for actor in-flight lock claims to be released, force cancelling remaining
claims" and sends the next call at once. Two calls then ran together on one learner (found by
`make chaos`, placement kill): both read the same snapshot and the second save overwrote the
first, so an acknowledged update stayed in the log but not in the counts.

The Python SDK dispatches every call, reminder and timer through ``ActorManager._dispatch_internal``
and keeps no turn of its own. :func:`keep_turns` wraps it once so each actor id runs one call at a
time in this process too (a call waits for the one before it, then reads what that one saved). Like
Dapr without reentrancy, an actor that calls itself would wait for itself.
"""

from __future__ import annotations

import asyncio
import functools
import time
from collections.abc import Awaitable, Callable, Coroutine
from typing import TYPE_CHECKING, Any, TypeVar

from dapr.actor.runtime.manager import ActorManager

from learnflow_common.metrics import ACTOR_CALLS

if TYPE_CHECKING:
    from dapr.actor.id import ActorId
    from dapr.actor.runtime._method_context import ActorMethodContext
    from dapr.actor.runtime.actor import Actor

    #: ``ActorManager._dispatch_internal``: runs one call, reminder or timer (``action``) on an actor.
    Action = Callable[[Actor], Coroutine[Any, Any, bytes | None]]
    Dispatch = Callable[[ActorManager, ActorId, ActorMethodContext, Action], Coroutine[Any, Any, object]]

T = TypeVar("T")


class Turns:
    """An asyncio lock per actor id, kept only while a call holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}

    async def run(self, actor_id: str, call: Callable[[], Awaitable[T]]) -> T:
        lock, users = self._locks.setdefault(actor_id, (asyncio.Lock(), [0]))
        users[0] += 1
        try:
            async with lock:
                return await call()
        finally:
            users[0] -= 1
            if users[0] == 0:
                del self._locks[actor_id]

    def __len__(self) -> int:
        return len(self._locks)


def _one_turn_per_actor(dispatch: Dispatch) -> Dispatch:
    @functools.wraps(dispatch)
    async def dispatch_in_turn(
        manager: ActorManager, actor_id: ActorId, method_context: ActorMethodContext, action: Action
    ) -> object:
        turns: Turns = manager.__dict__.setdefault("_learnflow_turns", Turns())
        started = time.perf_counter()
        try:
            return await turns.run(actor_id.id, lambda: dispatch(manager, actor_id, method_context, action))
        finally:
            actor_type = manager._runtime_ctx.actor_type_info.type_name
            ACTOR_CALLS.labels(actor_type, method_context.method_name).observe(time.perf_counter() - started)

    # the mark keep_turns recognises its wrapper by (functions take attributes; mypy knows none)
    dispatch_in_turn.__learnflow_turns__ = True  # type: ignore[attr-defined]
    return dispatch_in_turn


def keep_turns() -> None:
    """Idempotent: wraps the SDK's dispatch once per process."""
    if not getattr(ActorManager._dispatch_internal, "__learnflow_turns__", False):
        # Deliberately replaces the SDK's method (the module docstring says why); mypy refuses any
        # assignment to a method, even of a function of the same signature.
        ActorManager._dispatch_internal = _one_turn_per_actor(  # type: ignore[method-assign, assignment]
            ActorManager._dispatch_internal
        )
