"""Does a learner's history slow User Progress down? Latency of POST /update-progress and GET /status
for one learner whose history is 10, 1,000, 10,000 and 20,000 events. Reports figures; asserts nothing.

    make bench
    .venv/bin/python benchmarks/progress_growth.py --sizes 10 1000 10000 20000 --requests 100

Seeding: the history (20 events a day, ending an hour ago) is recorded in-process by the service's own
ledger (``user_progress.ledger.record``, the code the actor runs) and its values are written into the
stack's PostgreSQL under the actor's keys, exactly as the sidecar stores them. Then ``--requests`` real
requests per endpoint go through the stack (app -> sidecar -> actor -> PostgreSQL, events to Kafka),
one at a time. The target: p50 at 20,000 events within 1.5x of p50 at 10 events.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
import psycopg
from harness import running_stack

from learnflow_common.memory import MemoryStore
from user_progress import ledger
from user_progress.domain.events import LearningEvent

ACTOR_KEY = "user-progress||LearnerProgressActor||{learner}||{key}"
EVENTS_PER_DAY = 20


def _event(learner: str, number: int, at: datetime) -> LearningEvent:
    activity = ("lesson", "exercise", "quiz", "review")[number % 4]
    return LearningEvent(
        event_id=f"seed-{number}",
        learner_id=learner,
        activity=activity,
        topic=("variables", "loops", "functions", "strings", "collections")[number % 5],
        completed_at=at,
        score=None if activity == "lesson" else 50 + number % 51,
        duration_seconds=300,
        hints_used=number % 3,
        timezone="Europe/Berlin",
    )


async def seed(learner: str, size: int, dsn: str) -> None:
    store = MemoryStore()
    end = datetime.now(UTC) - timedelta(hours=1)
    step = timedelta(days=1) / EVENTS_PER_DAY
    for number in range(size):
        result = await ledger.record(store, learner, _event(learner, number, end - step * (size - number)))
        assert result.outcome == "recorded", result.outcome
        store.apply(result.changes)
    rows = [
        (ACTOR_KEY.format(learner=learner, key=key), json.dumps(value), False) for key, value in store.values.items()
    ]
    async with await psycopg.AsyncConnection.connect(dsn) as connection, connection.cursor() as cursor:
        await cursor.executemany("INSERT INTO state (key, value, isbinary) VALUES (%s, %s::jsonb, %s)", rows)


async def measure(client: httpx.AsyncClient, learner: str, url: str, requests: int) -> tuple[list[float], list[float]]:
    posts, gets = [], []
    for number in range(requests):
        body = {
            "event_id": f"bench-{number}",
            "learner_id": learner,
            "activity": "quiz",
            "topic": "loops",
            "score": 80,
            "completed_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
        }
        started = time.perf_counter()
        response = await client.post(f"{url}/update-progress", json=body)
        posts.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
        started = time.perf_counter()
        response = await client.get(f"{url}/status", params={"learner_id": learner})
        gets.append((time.perf_counter() - started) * 1000)
        assert response.status_code == 200, response.text
    return posts, gets


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, round(q / 100 * len(ordered)))]


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000, 20000])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    stack = running_stack()
    url, dsn = stack["apps"]["user-progress"]["app_url"], stack["postgres_dsn"]
    run = uuid.uuid4().hex[:8]
    print(f"One learner's history vs latency, real stack, {args.requests} sequential requests per endpoint")
    print(f"{'events':>8} {'seed s':>7} {'POST p50':>9} {'p90':>7} {'p99':>7} {'GET p50':>8} {'p90':>7} {'p99':>7}")
    baseline: tuple[float, float] | None = None
    async with httpx.AsyncClient(timeout=60) as client:
        for size in args.sizes:
            learner = f"growth-{run}-{size}"
            started = time.perf_counter()
            await seed(learner, size, dsn)
            seeded = time.perf_counter() - started
            posts, gets = await measure(client, learner, url, args.requests)
            post_p50, get_p50 = statistics.median(posts), statistics.median(gets)
            baseline = baseline or (post_p50, get_p50)
            post_tail = f"{_percentile(posts, 90):>7.1f} {_percentile(posts, 99):>7.1f}"
            get_tail = f"{_percentile(gets, 90):>7.1f} {_percentile(gets, 99):>7.1f}"
            ratios = f"POST {post_p50 / baseline[0]:.2f}x, GET {get_p50 / baseline[1]:.2f}x"
            print(
                f"{size:>8} {seeded:>7.1f} {post_p50:>9.1f} {post_tail} {get_p50:>8.1f} {get_tail}"
                f"   p50 vs {args.sizes[0]} events: {ratios}"
            )


if __name__ == "__main__":
    asyncio.run(main())
