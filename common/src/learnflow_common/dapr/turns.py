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

A call can also leave work for after its answer (:func:`after_answer`): the caller gets the answer
at once, and the work runs still holding the actor's turn here, so the next call on the actor waits
for it. The outbox uses it to publish what a call committed off the caller's latency, in order.
"""

from __future__ import annotations

import asyncio
import functools
import logging
import time
from collections.abc import Awaitable, Callable, Coroutine
from contextvars import ContextVar
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
Work = Callable[[], Awaitable[object]]
log = logging.getLogger(__name__)
#: The work the running call leaves for after its answer; None outside a call run by :class:`Turns`.
_AFTER_ANSWER: ContextVar[list[Work] | None] = ContextVar("learnflow_after_answer", default=None)


def after_answer(work: Work) -> bool:
    """Runs ``work`` once the running actor call has answered, still in the actor's turn. False when
    no call runs in a turn (an actor method called directly, as tests do): the caller does it now."""
    pending = _AFTER_ANSWER.get()
    if pending is None:
        return False
    pending.append(work)
    return True


class Turns:
    """An asyncio lock per actor id, kept only while a call (or the work it left for after its
    answer) holds or waits for it."""

    def __init__(self) -> None:
        self._locks: dict[str, tuple[asyncio.Lock, list[int]]] = {}
        self._finishing: set[asyncio.Task[None]] = set()

    async def run(self, actor_id: str, call: Callable[[], Awaitable[T]]) -> T:
        lock, users = self._locks.setdefault(actor_id, (asyncio.Lock(), [0]))
        users[0] += 1
        handed_over = False
        try:
            await lock.acquire()
            later: list[Work] = []
            token = _AFTER_ANSWER.set(later)
            try:
                return await call()
            finally:
                _AFTER_ANSWER.reset(token)
                if later:  # the answer goes out now; the turn ends when the work is done
                    task = asyncio.create_task(self._finish(actor_id, lock, users, later))
                    self._finishing.add(task)
                    task.add_done_callback(self._finishing.discard)
                    handed_over = True
                else:
                    lock.release()
        finally:
            if not handed_over:
                self._leave(actor_id, users)

    async def _finish(self, actor_id: str, lock: asyncio.Lock, users: list[int], later: list[Work]) -> None:
        try:
            for work in later:
                try:
                    await work()
                except Exception:  # the call has answered: nobody else would hear of it
                    log.exception("work after the answer of actor %s failed", actor_id)
        finally:
            lock.release()
            self._leave(actor_id, users)

    def _leave(self, actor_id: str, users: list[int]) -> None:
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
