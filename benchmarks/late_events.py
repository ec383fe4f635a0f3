"""What a late event costs User Progress in-process: recording one event of a learner's newest UTC day
that arrives after a later one (concurrent requests of one learner racing), folded again from the
stored day start, against the reference re-fold from the checkpoint (the same store without its day
start) and against an event in time order. Reports figures; asserts nothing. No stack needed.

    .venv/bin/python benchmarks/late_events.py --days 30 --per-day 20 300 --repeat 30

Each figure is the median wall time of ``ledger.record`` on an in-memory store (JSON values, as the
sidecar stores them) of a learner with ``--days`` days of ``--per-day`` events, the late event half a
day's events behind the newest one. The sidecar round trips the reference path adds (one state read
per day of log from the horizon on) come on top of it in the service.
"""

from __future__ import annotations

import argparse
import statistics
import time
from datetime import UTC, datetime, timedelta

from learnflow_common.memory import MemoryStore, run_in_memory
from user_progress import ledger
from user_progress.domain.events import LearningEvent

START = datetime(2026, 1, 1, tzinfo=UTC)


def _event(number: int, at: datetime) -> LearningEvent:
    activity = ("lesson", "exercise", "quiz", "review")[number % 4]
    return LearningEvent(
        event_id=f"e-{number}",
        learner_id="bench",
        activity=activity,
        topic=("variables", "loops", "functions", "strings", "collections")[number % 5],
        completed_at=at,
        score=None if activity == "lesson" else 50 + number % 51,
    )


def _learner(days: int, per_day: int) -> tuple[MemoryStore, datetime, datetime]:
    """The learner's store, an instant half a day's events behind the newest event, and one after it."""
    store = MemoryStore()
    step = timedelta(hours=20) / per_day
    number = 0
    for day in range(days):
        for i in range(per_day):
            event = _event(number, START + timedelta(days=day, hours=2) + i * step)
            store.apply(run_in_memory(ledger.record(store, "bench", event)).changes)
            number += 1
    newest_day = START + timedelta(days=days - 1, hours=2)
    return store, newest_day + (per_day // 2) * step + step / 2, newest_day + per_day * step


def _median_ms(store: MemoryStore, event: LearningEvent, repeat: int, forget_day_start: bool) -> float:
    times = []
    for _ in range(repeat):
        trial = MemoryStore(store.values)
        if forget_day_start:
            trial.apply({ledger.DAY_START_KEY: None})
        began = time.perf_counter()
        outcome = run_in_memory(ledger.record(trial, "bench", event)).outcome
        times.append((time.perf_counter() - began) * 1000)
        assert outcome == "recorded", outcome
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, nargs="+", default=[20, 300])
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print("| events a day | in time order ms | late, from the day start ms | late, from the checkpoint ms | ratio |")
    print("|---|---|---|---|---|")
    for per_day in args.per_day:
        store, late_at, next_at = _learner(args.days, per_day)
        in_order = _median_ms(store, _event(10**6, next_at), args.repeat, False)
        late = _event(10**6 + 1, late_at)
        fast = _median_ms(store, late, args.repeat, False)
        reference = _median_ms(store, late, args.repeat, True)
        print(f"| {per_day} | {in_order:.2f} | {fast:.2f} | {reference:.2f} | {reference / fast:.1f}x |")


if __name__ == "__main__":
    main()
