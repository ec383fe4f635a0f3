"""What a late event costs User Progress in-process: recording one event of a learner's newest UTC day
that arrives after later ones (concurrent requests of one learner racing), folded again from the
recent folds the actor keeps in memory, from the stored day start, and by the reference re-fold from
the checkpoint (the same store without its day start), against an event in time order. Reports
figures; asserts nothing. No stack needed.

    .venv/bin/python benchmarks/late_events.py --days 30 --per-day 20 300 --repeat 30

Each figure is the median wall time of ``ledger.record`` on an in-memory store (JSON values, as the
sidecar stores them) of a learner with ``--days`` days of ``--per-day`` events, the late event
``--behind`` events behind the newest one (where the recent folds reach) or half a day's events
behind (where they do not: they are handed in, and the day start is used). The sidecar round trips
the reference path adds (one state read per day of log from the horizon on) come on top of it in the
service.
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


def _learner(days: int, per_day: int) -> tuple[MemoryStore, ledger.RecentFolds | None, list[datetime]]:
    """The learner's store, the recent folds its actor holds (the newest day's last two events
    arrived swapped: a late event), and the instants of the newest day's events."""
    store = MemoryStore()
    recent: ledger.RecentFolds | None = None
    step = timedelta(hours=20) / per_day
    events = [
        _event(day * per_day + i, START + timedelta(days=day, hours=2) + i * step)
        for day in range(days)
        for i in range(per_day)
    ]
    for event in [*events[:-2], events[-1], events[-2]]:
        result = run_in_memory(ledger.record(store, "bench", event, recent))
        store.apply(result.changes)
        recent = result.recent
    return store, recent, [event.completed_at for event in events[-per_day:]]


def _median_ms(
    store: MemoryStore, event: LearningEvent, repeat: int, recent: ledger.RecentFolds | None, forget_day_start: bool
) -> float:
    times = []
    for _ in range(repeat):
        trial = MemoryStore(store.values)
        if forget_day_start:
            trial.apply({ledger.DAY_START_KEY: None})
        began = time.perf_counter()
        outcome = run_in_memory(ledger.record(trial, "bench", event, recent)).outcome
        times.append((time.perf_counter() - began) * 1000)
        assert outcome == "recorded", outcome
    return statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--days", type=int, default=30)
    parser.add_argument("--per-day", type=int, nargs="+", default=[20, 300])
    parser.add_argument("--behind", type=int, default=3)
    parser.add_argument("--repeat", type=int, default=30)
    args = parser.parse_args()
    print(
        f"| events a day | in time order ms | in time order, with recent folds ms "
        f"| {args.behind} behind, from the recent folds ms | {args.behind} behind, from the day start ms "
        "| half a day behind, recent folds handed in ms | half a day behind, from the checkpoint ms |"
    )
    print("|---|---|---|---|---|---|---|")
    for per_day in args.per_day:
        store, recent, newest_day = _learner(args.days, per_day)
        step = newest_day[1] - newest_day[0]
        in_order = _event(10**6, newest_day[-1] + step)
        near = _event(10**6 + 1, newest_day[-args.behind] - step / 2)
        half = _event(10**6 + 2, newest_day[per_day // 2] + step / 2)
        figures = [
            _median_ms(store, in_order, args.repeat, None, False),
            _median_ms(store, in_order, args.repeat, recent, False),
            _median_ms(store, near, args.repeat, recent, False),
            _median_ms(store, near, args.repeat, None, False),
            _median_ms(store, half, args.repeat, recent, False),
            _median_ms(store, half, args.repeat, None, True),
        ]
        print(f"| {per_day} | " + " | ".join(f"{figure:.2f}" for figure in figures) + " |")


if __name__ == "__main__":
    main()
