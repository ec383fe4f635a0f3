"""Does a learner's lesson history slow the Course Agent down? Latency of POST /generate-lesson and
GET /lessons?learner_id= for a learner with 10 and with 5,000 lessons, and of GET /lessons (the
global feed) pages. Reports figures; asserts nothing.

    make bench
    .venv/bin/python benchmarks/lesson_growth.py --sizes 10 5000 --requests 100

Seeding: the lessons are laid out in-process by the service's own layout code
(``course_agent.layout.add_lesson``, what the actor runs) and written into the stack's PostgreSQL under
the actor's keys, exactly as the sidecar stores them. Then ``--requests`` real requests per endpoint
go through the stack (app -> sidecar -> actor -> PostgreSQL), one at a time. The target: p50 with
5,000 lessons within 1.5x of p50 with 10.
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime, timedelta

import httpx
from harness import figures, insert_actor_state, operator_headers, report_growth, running_stack

from course_agent import layout
from course_agent.planning import lesson_id_for
from learnflow_common.memory import MemoryStore

TOPICS = ("variables", "strings", "control-flow", "loops", "functions")


async def seed(learner: str, size: int, dsn: str) -> None:
    store = MemoryStore()
    meta = layout.Meta()
    start = datetime.now(UTC) - timedelta(days=size)
    for number in range(size):
        lesson_id = lesson_id_for(learner, f"seed-{number}")
        document = {
            "lesson_id": lesson_id,
            "learner_id": learner,
            "topic": TOPICS[number % len(TOPICS)],
            "difficulty": "beginner",
            "title": f"Seeded lesson {number}",
            "rationale": "seeded by benchmarks/lesson_growth.py",
            "generator": "builtin",
            "created_at": (start + timedelta(days=number)).isoformat(),
            "sections": [{"heading": "Seeded", "body": "x" * 2000}],
        }
        meta, changes = await layout.add_lesson(store, meta, document)
        store.apply(changes)
    await insert_actor_state(dsn, "course-agent", "LearnerPlanActor", learner, store.values)


async def timed(client: httpx.AsyncClient, method: str, url: str, **kwargs: object) -> tuple[float, httpx.Response]:
    started = time.perf_counter()
    response = await client.request(method, url, **kwargs)  # type: ignore[arg-type]
    return (time.perf_counter() - started) * 1000, response


async def measure(client: httpx.AsyncClient, learner: str, url: str, requests: int) -> tuple[list[float], list[float]]:
    posts, gets = [], []
    for number in range(requests):
        elapsed, response = await timed(
            client, "POST", f"{url}/generate-lesson", json={"learner_id": learner, "request_id": f"bench-{number}"}
        )
        assert response.status_code == 201, response.text
        posts.append(elapsed)
        params: dict[str, object] = {"learner_id": learner, "limit": 20}
        if number % 2:  # every other read is a second page
            first = (await client.get(f"{url}/lessons", params=params)).json()
            if first["next_cursor"]:
                params["cursor"] = first["next_cursor"]
        elapsed, response = await timed(client, "GET", f"{url}/lessons", params=params)
        assert response.status_code == 200, response.text
        gets.append(elapsed)
    return posts, gets


async def measure_feed(client: httpx.AsyncClient, url: str, requests: int) -> list[float]:
    samples: list[float] = []
    cursor = None
    for _ in range(requests):
        params: dict[str, object] = {"limit": 20, **({"cursor": cursor} if cursor else {})}
        elapsed, response = await timed(client, "GET", f"{url}/lessons", params=params)
        assert response.status_code == 200, response.text
        samples.append(elapsed)
        cursor = response.json()["next_cursor"]
    return samples


async def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--sizes", type=int, nargs="+", default=[10, 5000])
    parser.add_argument("--requests", type=int, default=100)
    args = parser.parse_args()
    stack = running_stack()
    url, dsn = stack["apps"]["course-agent"]["app_url"], stack["postgres_dsn"]
    run = uuid.uuid4().hex[:8]
    print(f"One learner's lessons vs latency, real stack, {args.requests} sequential requests per endpoint")
    async with httpx.AsyncClient(timeout=60, headers=operator_headers(stack)) as client:
        await report_growth(client, "lessons", f"lessons-{run}", args.sizes, args.requests, (url, dsn), seed, measure)
        await asyncio.sleep(2)  # the feed trails generation by the lesson-events delivery
        feed = await measure_feed(client, url, args.requests)
        print(f"GET /lessons (global feed), {args.requests} consecutive pages of 20: p50/p90/p99 {figures(feed)} ms")


if __name__ == "__main__":
    asyncio.run(main())
