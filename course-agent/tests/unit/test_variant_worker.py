"""The offline generator's worker, with a scripted sidecar: what it asks, what it stores, what it
counts, and that it never waits on anyone nor lets a job pile up."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest
from prometheus_client import REGISTRY

from course_agent.adapters.variants import VariantJob, VariantWorker, bank_key, load_bank
from course_agent.settings import Settings
from devstack.testing import AppAuth
from learnflow_common.dapr import SidecarUnavailable
from learnflow_common.dapr.sidecar import StateEntry

from .test_variants import _reply


class ScriptedSidecar:
    """The calls the worker makes: the model answers with the next scripted reply (or raises it)."""

    def __init__(self, *replies: str | Exception) -> None:
        self.replies = list(replies)
        self.asked: list[dict[str, Any]] = []
        self.state: dict[str, Any] = {}

    async def converse(self, component: str, system: str, user: list[str], **options: Any) -> str:
        self.asked.append({"component": component, "system": system, "user": user, **options})
        reply = self.replies.pop(0)
        if isinstance(reply, Exception):
            raise reply
        return reply

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        return None  # a learner the agent knows nothing of yet

    async def get_state(self, store: str, key: str) -> StateEntry | None:
        return StateEntry(key, json.dumps(self.state[key]).encode()) if key in self.state else None

    async def save_state(self, store: str, key: str, value: Any) -> None:
        self.state[key] = json.loads(json.dumps(value))


@pytest.fixture
def settings(app_auth: AppAuth) -> Settings:
    return app_auth.settings(Settings, "course-agent", LESSON_GENERATOR="llm", VARIANT_QUEUE_SIZE=2)


def _counted(outcome: str, reason: str) -> float:
    return REGISTRY.get_sample_value("learnflow_variants_total", {"outcome": outcome, "reason": reason}) or 0.0


def _run(worker: VariantWorker, job: VariantJob) -> str:
    return asyncio.run(worker.run(job))


def test_a_verified_proposal_is_stored_in_its_levels_bank_and_counted(settings: Settings) -> None:
    sidecar = ScriptedSidecar(_reply())
    worker = VariantWorker(sidecar, settings)  # type: ignore[arg-type]
    before = _counted("accepted", "verified")

    assert _run(worker, VariantJob("loops", "beginner", learner_id="ada")) == "verified"

    bank = asyncio.run(load_bank(sidecar, settings.state_store, "loops", "beginner"))  # type: ignore[arg-type]
    assert len(bank.exercises) == len(bank.quiz) == len(bank.examples) == 1
    assert _counted("accepted", "verified") == before + 1


def test_the_model_is_asked_with_structured_output_and_the_operators_note_last(settings: Settings) -> None:
    sidecar = ScriptedSidecar("no")
    worker = VariantWorker(sidecar, settings)  # type: ignore[arg-type]

    _run(worker, VariantJob("loops", "beginner", guidance="Focus on off-by-one errors."))

    asked = sidecar.asked[0]
    assert asked["component"] == settings.conversation_component
    assert asked["user"][-1] == "Focus on off-by-one errors."
    assert "Topic: Loops" in asked["user"][0]
    assert asked["response_format"]["properties"].keys() == {"exercises", "quiz", "examples"}
    assert asked["timeout_seconds"] == settings.llm_timeout_seconds


def test_a_rejected_proposal_is_counted_with_its_reason_and_never_stored(settings: Settings) -> None:
    sidecar = ScriptedSidecar(_reply(exercise={"tests": "assert True\n"}))
    worker = VariantWorker(sidecar, settings)  # type: ignore[arg-type]
    before = _counted("rejected", "trivial-tests")

    assert _run(worker, VariantJob("loops", "beginner")) == "trivial-tests"

    assert sidecar.state == {}
    assert _counted("rejected", "trivial-tests") == before + 1


def test_a_model_that_does_not_answer_is_counted_and_changes_nothing(settings: Settings) -> None:
    sidecar = ScriptedSidecar(SidecarUnavailable("timed out", "dapr-sidecar"))
    worker = VariantWorker(sidecar, settings)  # type: ignore[arg-type]
    before = _counted("failed", "unavailable")

    assert _run(worker, VariantJob("loops", "beginner")) == "unavailable"

    assert sidecar.state == {}
    assert _counted("failed", "unavailable") == before + 1


def test_a_stored_bank_that_no_longer_reads_is_started_again(settings: Settings) -> None:
    sidecar = ScriptedSidecar(_reply())
    sidecar.state[bank_key("loops", "beginner")] = {"exercises": [{"old": "format"}]}
    worker = VariantWorker(sidecar, settings)  # type: ignore[arg-type]

    assert _run(worker, VariantJob("loops", "beginner")) == "verified"

    assert len(sidecar.state[bank_key("loops", "beginner")]["exercises"]) == 1


def test_jobs_queue_without_waiting_one_per_level_within_the_queues_bound(settings: Settings) -> None:
    async def scenario() -> list[bool]:
        worker = VariantWorker(ScriptedSidecar(), settings)  # type: ignore[arg-type]  # not started
        return [
            worker.submit(VariantJob("loops", "beginner"), from_event=False),
            worker.submit(VariantJob("loops", "beginner"), from_event=False),  # already waiting
            worker.submit(VariantJob("loops", "advanced"), from_event=False),
            worker.submit(VariantJob("strings", "beginner"), from_event=False),  # queue of 2 is full
        ]

    before = _counted("dropped", "queue-full")

    assert asyncio.run(scenario()) == [True, False, True, False]
    assert _counted("dropped", "queue-full") == before + 1


def test_progress_asks_for_a_level_again_only_after_the_cooldown(settings: Settings) -> None:
    async def scenario() -> list[bool]:
        async with VariantWorker(ScriptedSidecar("no", "no"), settings) as worker:  # type: ignore[arg-type]
            first = worker.submit(VariantJob("loops", "beginner"), from_event=True)
            await asyncio.wait_for(worker._queue.join(), 10)
            again = worker.submit(VariantJob("loops", "beginner"), from_event=True)
            asked_by_an_operator = worker.submit(VariantJob("loops", "beginner"), from_event=False)
            await asyncio.wait_for(worker._queue.join(), 10)
            return [first, again, asked_by_an_operator]

    assert asyncio.run(scenario()) == [True, False, True]


def test_the_worker_stops_cleanly_with_a_job_under_way(settings: Settings) -> None:
    class SlowModel(ScriptedSidecar):
        async def converse(self, *args: Any, **kwargs: Any) -> str:
            await asyncio.sleep(60)
            return ""

    async def scenario() -> bool:
        async with VariantWorker(SlowModel(), settings) as worker:  # type: ignore[arg-type]
            worker.submit(VariantJob("loops", "beginner"), from_event=False)
            await asyncio.sleep(0.05)
        return all(task.done() for task in asyncio.all_tasks() if task.get_name().startswith("variants-"))

    assert asyncio.run(asyncio.wait_for(scenario(), 5))
