"""The app keeps each actor's turn: calls on one actor id never overlap, even if the sidecar lets go."""

from __future__ import annotations

import asyncio

import pytest
from dapr.actor.runtime.manager import ActorManager

from learnflow_common.dapr.turns import Turns, keep_turns


async def _record(turns: Turns, actor_id: str, log: list[str], name: str) -> None:
    async def call() -> None:
        log.append(f"{name} starts")
        await asyncio.sleep(0.01)
        log.append(f"{name} ends")

    await turns.run(actor_id, call)


async def test_two_calls_on_one_actor_run_one_after_the_other() -> None:
    turns, log = Turns(), []

    await asyncio.gather(_record(turns, "ada", log, "first"), _record(turns, "ada", log, "second"))

    assert log == ["first starts", "first ends", "second starts", "second ends"]


async def test_calls_on_different_actors_run_together() -> None:
    turns, log = Turns(), []

    await asyncio.gather(_record(turns, "ada", log, "ada"), _record(turns, "bob", log, "bob"))

    assert log[:2] == ["ada starts", "bob starts"]


async def test_a_failed_call_gives_the_turn_back_and_no_lock_is_kept() -> None:
    turns = Turns()

    async def fails() -> None:
        raise RuntimeError("boom")

    with pytest.raises(RuntimeError):
        await turns.run("ada", fails)
    await _record(turns, "ada", [], "next")

    assert len(turns) == 0


def test_the_sdk_dispatch_is_wrapped_once() -> None:
    keep_turns()
    wrapped = ActorManager._dispatch_internal
    keep_turns()

    assert ActorManager._dispatch_internal is wrapped
    assert wrapped.__learnflow_turns__ is True  # type: ignore[attr-defined]
