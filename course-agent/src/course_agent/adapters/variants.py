"""The offline variant generator: asks the language model for new items of a topic level, verifies
them, and stores the accepted ones where lessons are composed from.

Nothing here runs in a request or an actor turn. Jobs come from progress events that show a learner
struggling (at most one per topic level every ``VARIANT_COOLDOWN_SECONDS``) and from operators
(``POST /variants``); they wait in a bounded queue (a full queue drops the job, counted) for
``VARIANT_WORKERS`` tasks. A job reads the learner's knowledge (their actor's ``GetKnowledge``, a
short turn of its own), asks the model with structured output, checks the reply
(``domain/variants.py``), runs it in the sandbox (``course_agent.sandbox``), and only then saves the
level's bank (state key ``variants:<topic>:<difficulty>``, bounded). Every outcome is counted in
``learnflow_variants_total{outcome, reason}`` and logged with its reason.
"""

from __future__ import annotations

import asyncio
import logging
import time
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from fastapi import FastAPI
from prometheus_client import Counter
from pydantic import ValidationError

from course_agent import sandbox
from course_agent.adapters.actor_interface import LearnerPlan
from course_agent.content import curriculum
from course_agent.domain.curriculum import Curriculum
from course_agent.domain.prompt import SYSTEM_PROMPT, focus_of, user_prompt
from course_agent.domain.variants import (
    Items,
    Rejected,
    VariantBank,
    checked_items,
    curriculum_with_variants,
    judge,
    parse_reply,
    proposal_schema,
    snippets_of,
)
from course_agent.settings import Settings
from learnflow_common.dapr import SidecarRefused, SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.vocabulary import Difficulty

log = logging.getLogger(__name__)
VARIANTS = Counter(
    "learnflow_variants",
    "Variants the language model was asked for, by outcome (accepted, rejected, failed, dropped) and reason",
    ["outcome", "reason"],
)
#: What one snippet of a proposal may use (each runs in an interpreter of its own).
SNIPPET_LIMITS = sandbox.Limits(snippet_seconds=5, cpu_seconds=8, wall_seconds=10.0)


def bank_key(topic: str, difficulty: str) -> str:
    return f"variants:{topic}:{difficulty}"


def _bank_of(topic: str, difficulty: Difficulty, stored: Any) -> VariantBank:
    """The accepted variants stored for a topic level; none if there are none yet, or if what is
    stored no longer reads as a bank (the content schema changed since: it is regenerated)."""
    if stored is None:
        return VariantBank()
    try:
        return VariantBank.model_validate(stored)
    except ValidationError as error:
        log.warning("variants of %s %s do not read as a bank, ignored: %s", topic, difficulty, error)
        return VariantBank()


async def load_bank(sidecar: DaprSidecar, store: str, topic: str, difficulty: Difficulty) -> VariantBank:
    """The accepted variants of a topic level (see :func:`_bank_of`)."""
    entry = await sidecar.get_state(store, bank_key(topic, difficulty))
    return _bank_of(topic, difficulty, entry.value if entry is not None else None)


async def load_banks(
    sidecar: DaprSidecar, store: str, topic: str, difficulties: Iterable[Difficulty]
) -> dict[tuple[str, Difficulty], VariantBank]:
    """The banks of some levels of one topic, in one read of the state store."""
    levels = list(dict.fromkeys(difficulties))
    stored = await sidecar.get_bulk_state(store, [bank_key(topic, d) for d in levels])
    return {(topic, d): _bank_of(topic, d, stored[bank_key(topic, d)]) for d in levels}


async def verified(reply: str, bank: Curriculum, topic: str, difficulty: Difficulty) -> Items:
    """The items a model's reply proposes for a topic level of ``bank``, once checked and run in the
    sandbox; :class:`Rejected` (with the reason) otherwise."""
    items = checked_items(parse_reply(reply), bank, topic, difficulty)
    judge(items, await sandbox.run_each(snippets_of(items), SNIPPET_LIMITS))
    return items


@dataclass(frozen=True)
class VariantJob:
    """New items for one topic level, for a learner's state (if any) and an operator's note (if any)."""

    topic: str
    difficulty: Difficulty
    learner_id: str | None = None
    guidance: str | None = None


class VariantWorker:
    """A bounded queue of jobs and the tasks that work through it; ``async with`` starts and stops them."""

    def __init__(self, sidecar: DaprSidecar, settings: Settings) -> None:
        self.sidecar, self.settings = sidecar, settings
        self._queue: asyncio.Queue[VariantJob] = asyncio.Queue(maxsize=settings.variant_queue_size)
        self._queued: set[tuple[str, str]] = set()
        self._asked_at: dict[tuple[str, str], float] = {}
        self._tasks: list[asyncio.Task[None]] = []

    async def __aenter__(self) -> VariantWorker:
        self._tasks = [
            asyncio.create_task(self._work(), name=f"variants-{i}") for i in range(self.settings.variant_workers)
        ]
        return self

    async def __aexit__(self, *_: object) -> None:
        """Stops the tasks; a job under way is abandoned (its sandbox process killed), nothing half-saved."""
        for task in self._tasks:
            task.cancel()
        await asyncio.gather(*self._tasks, return_exceptions=True)
        self._tasks = []

    def submit(self, job: VariantJob, *, from_event: bool) -> bool:
        """Queues the job unless its level already waits, or (for a job an event asked for) had one
        within the cooldown, or the queue is full; never waits."""
        level = (job.topic, job.difficulty)
        now = time.monotonic()
        if level in self._queued:
            return False
        if from_event and now - self._asked_at.get(level, -float("inf")) < self.settings.variant_cooldown_seconds:
            return False
        try:
            self._queue.put_nowait(job)
        except asyncio.QueueFull:
            VARIANTS.labels("dropped", "queue-full").inc()
            log.warning("variant job for %s %s dropped: the queue is full", job.topic, job.difficulty)
            return False
        self._queued.add(level)
        self._asked_at[level] = now
        return True

    async def _work(self) -> None:
        while True:
            job = await self._queue.get()
            try:
                await self.run(job)
            except asyncio.CancelledError:
                raise
            except Exception:  # a job's failure must not end the worker
                VARIANTS.labels("failed", "error").inc()
                log.exception("variant job for %s %s failed", job.topic, job.difficulty)
            finally:
                self._queued.discard((job.topic, job.difficulty))
                self._queue.task_done()

    async def run(self, job: VariantJob) -> str:
        """One job from question to stored bank; its outcome's reason (``verified`` if accepted)."""
        settings = self.settings
        try:
            knowledge = await LearnerPlan(self.sidecar, job.learner_id).knowledge() if job.learner_id else None
            bank = await load_bank(self.sidecar, settings.state_store, job.topic, job.difficulty)
            level = curriculum_with_variants(curriculum(), {(job.topic, job.difficulty): bank})
            focus = focus_of(level, knowledge, job.topic, job.difficulty)
            messages = [user_prompt(level, focus), *([job.guidance] if job.guidance else [])]
            reply = await self.sidecar.converse(
                settings.conversation_component,
                SYSTEM_PROMPT,
                messages,
                timeout_seconds=settings.llm_timeout_seconds,
                response_format=proposal_schema(),
            )
        except (SidecarUnavailable, SidecarRefused) as error:
            return self._count("failed", "unavailable", job, str(error))
        try:
            items = await verified(reply, level, job.topic, job.difficulty)
        except Rejected as rejected:
            return self._count("rejected", rejected.reason, job, rejected.detail)
        try:
            await self.sidecar.save_state(
                settings.state_store,
                bank_key(job.topic, job.difficulty),
                bank.with_items(items).model_dump(mode="json"),
            )
        except (SidecarUnavailable, SidecarRefused) as error:
            return self._count("failed", "unavailable", job, str(error))
        ids = [item.id for item in (*items.exercises, *items.quiz, *items.examples)]
        return self._count("accepted", "verified", job, ", ".join(ids))

    @staticmethod
    def _count(outcome: str, reason: str, job: VariantJob, detail: str) -> str:
        VARIANTS.labels(outcome, reason).inc()
        level = logging.INFO if outcome == "accepted" else logging.WARNING
        log.log(level, "variant for %s %s %s (%s): %s", job.topic, job.difficulty, outcome, reason, detail[:500])
        return reason


@asynccontextmanager
async def variant_generation(app: FastAPI) -> AsyncIterator[None]:
    """The app's lifespan part: with ``LESSON_GENERATOR=llm`` a worker runs (``app.state.variant_worker``)
    until the app stops; otherwise there is none."""
    settings = app.state.settings
    if not isinstance(settings, Settings) or settings.lesson_generator != "llm":
        yield
        return
    async with VariantWorker(app.state.sidecar, settings) as worker:
        app.state.variant_worker = worker
        try:
            yield
        finally:
            app.state.variant_worker = None
