"""The app keeps each actor's turn: calls on one actor id never overlap, even if the sidecar lets go."""

from __future__ import annotations

import asyncio

import pytest
from dapr.actor.runtime.manager import ActorManager

from learnflow_common.dapr.turns import Turns, after_answer, keep_turns


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


async def test_work_left_for_after_the_answer_runs_after_the_call_answered_and_before_the_next_call() -> None:
    turns, log = Turns(), []
    release = asyncio.Event()

    async def publish() -> None:
        await release.wait()
        log.append("first's publish")

    async def first() -> str:
        log.append("first")
        assert after_answer(publish)
        return "answer"

    async def second() -> None:
        log.append("second")

    assert await turns.run("ada", first) == "answer"  # answered while its publish still waits
    following = asyncio.create_task(turns.run("ada", second))
    await asyncio.sleep(0.01)
    assert log == ["first"]  # the next call waits for the turn
    release.set()
    await following

    assert log == ["first", "first's publish", "second"]
    assert len(turns) == 0


async def test_failing_work_after_the_answer_gives_the_turn_back() -> None:
    turns = Turns()

    async def fails() -> None:
        raise RuntimeError("broker said no")

    async def first() -> None:
        after_answer(fails)

    await turns.run("ada", first)
    await asyncio.wait_for(_record(turns, "ada", [], "next"), timeout=1)

    assert len(turns) == 0


def test_outside_a_turn_there_is_no_after_the_answer_the_caller_does_the_work_itself() -> None:
    async def work() -> None:
        pass

    assert after_answer(work) is False
