"""Does a learner's history slow User Progress down? Latency of POST /update-progress and GET /status
for one learner whose history is 10, 1,000, 10,000 and 20,000 events. Reports figures; asserts nothing.

    make bench
    .venv/bin/python benchmarks/progress_growth.py --sizes 10 1000 10000 20000 --requests 100

Seeding: the history (20 events a day, ending an hour ago) is recorded in-process by the service's own
ledger (``user_progress.ledger.record``, the code the actor runs) and its values are written into the
stack's PostgreSQL under the learner's plain keys (``user-progress||learner~<id>~<key>``), exactly as the
sidecar stores them for the learner's actor. Then ``--requests`` real
requests per endpoint go through the stack (app -> sidecar -> actor -> PostgreSQL, events to Kafka),
one at a time. The target: p50 at 20,000 events within 1.5x of p50 at 10 events.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from harness import insert_state, operator_headers, report_growth, running_stack

from learnflow_common.dapr.actor_state import plain_key_prefix
from learnflow_common.memory import MemoryStore
from user_progress import ledger
from user_progress.adapters.learner_keys import LEARNER_KEYS
from user_progress.domain.events import LearningEvent

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
    prefix = f"user-progress||{plain_key_prefix(LEARNER_KEYS, learner)}"
    await insert_state(dsn, {prefix + key: value for key, value in store.values.items()})


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


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 1000, 10000, 20000])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    stack = running_stack()
    url, dsn = stack["apps"]["user-progress"]["app_url"], stack["postgres_dsn"]
    run = uuid.uuid4().hex[:8]
    print(f"One learner's history vs latency, real stack, {args.requests} sequential requests per endpoint")
    async with httpx.AsyncClient(timeout=60, headers=operator_headers(stack)) as client:
        await report_growth(client, "events", f"growth-{run}", args.sizes, args.requests, (url, dsn), seed, measure)


if __name__ == "__main__":
    asyncio.run(main())
