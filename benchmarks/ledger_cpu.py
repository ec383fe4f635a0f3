"""CPU the ledger spends recording one event, in process (no sidecar, database or broker).

A learner with a history (300 events, 8 a UTC day, three hours apart: the spacing of the stack
benchmark's learners) records 640 more, one at a time, as the learner actor does, then 640 more while
the logged events parsed are counted; each recording's changes are applied before the next. Reports
the CPU per recording (median and best of batches of 16) and the events parsed per recording (33.5
while the horizon's move read the whole 30-day window; PROFILE.md, Phase 12). In the same run, an
event's stored form by ``dataclasses.asdict`` (what ``LearningEvent.to_dict`` did: the reference)
against the form read field by field.

    .venv/bin/python benchmarks/ledger_cpu.py
"""

from __future__ import annotations

import statistics
import time
from dataclasses import asdict
from datetime import UTC, datetime, timedelta
from typing import Any

from learnflow_common.memory import MemoryStore, run_in_memory
from user_progress import ledger
from user_progress.domain.events import ItemResult, LearningEvent

T0 = datetime(2026, 3, 1, 8, tzinfo=UTC)
HISTORY = 300
BATCHES, BATCH = 40, 16


def _event(number: int) -> LearningEvent:
    return LearningEvent(
        f"e{number:05d}",
        "ada",
        ("lesson", "exercise", "quiz", "review")[number % 4],
        ("variables", "loops", "functions")[number % 3],
        T0 + timedelta(hours=3 * number),
        score=60 + number % 40,
        duration_seconds=300,
    )


class _CountedParses:
    """Counts the logged events parsed (``LearningEvent.from_dict``) while it is entered."""

    def __enter__(self) -> _CountedParses:
        self.count = 0
        self._original = LearningEvent.__dict__["from_dict"]
        parse = self._original.__func__

        def counted(cls: type[LearningEvent], data: dict[str, Any]) -> LearningEvent:
            self.count += 1
            return parse(cls, data)

        LearningEvent.from_dict = classmethod(counted)  # type: ignore[method-assign, assignment]
        return self

    def __exit__(self, *exc: object) -> None:
        LearningEvent.from_dict = self._original  # type: ignore[method-assign]


def recording() -> tuple[list[float], float]:
    """CPU per recording of each measured batch, and the events parsed per recording."""
    store, recent, number = MemoryStore(), None, 0

    def record() -> float:
        nonlocal recent, number
        event = _event(number)
        number += 1
        started = time.process_time()
        result = run_in_memory(ledger.record(store, "ada", event, recent))
        spent = time.process_time() - started
        store.apply(result.changes)
        recent = result.recent
        return spent

    for _ in range(HISTORY):
        record()
    per_batch = [sum(record() for _ in range(BATCH)) / BATCH for _ in range(BATCHES)]
    with _CountedParses() as parses:  # counted apart: the count's own cost stays out of the timing
        for _ in range(BATCHES * BATCH):
            record()
    return per_batch, parses.count / (BATCHES * BATCH)


def stored_form_by_asdict(event: LearningEvent) -> dict[str, Any]:
    """The reference: ``to_dict`` as it was (tests/unit/test_events.py holds both equal)."""
    data = {name: value for name, value in asdict(event).items() if name != "items"}
    data["completed_at"] = event.completed_at.isoformat()
    if event.items:
        data["items"] = [asdict(item) for item in event.items]
    return data


def stored_form_figures(calls: int = 20_000) -> dict[str, float]:
    event = LearningEvent(
        "e1", "ada", "quiz", "loops", T0, score=80, items=(ItemResult("q1", True), ItemResult("q2", False))
    )
    best: dict[str, float] = {}
    for _ in range(3):  # alternated, so a noisy neighbour touches both
        for name, form in (("asdict", stored_form_by_asdict), ("fields", LearningEvent.to_dict)):
            started = time.process_time()
            for _ in range(calls):
                form(event)
            best[name] = min(best.get(name, float("inf")), (time.process_time() - started) / calls)
    return best


def main() -> None:
    per_batch, parsed = recording()
    print(f"recording one event, in process ({HISTORY} events of history, then {BATCHES} batches of {BATCH}):")
    print(
        f"  CPU per recording: median {statistics.median(per_batch) * 1e6:.0f} us, "
        f"best batch {min(per_batch) * 1e6:.0f} us; logged events parsed per recording: {parsed:.1f}"
    )
    forms = stored_form_figures()
    print(
        f"  an event's stored form: {forms['fields'] * 1e6:.1f} us field by field, "
        f"{forms['asdict'] * 1e6:.1f} us by dataclasses.asdict (the reference)"
    )


if __name__ == "__main__":
    main()
