"""Latency of POST /update-progress through the real stack (app -> sidecar -> actor -> PostgreSQL,
events to Kafka), at 1 and 32 concurrent clients. Reports figures; asserts nothing.

    make bench                      # starts the stack if needed
    .venv/bin/python benchmarks/update_progress.py --requests 400 --concurrency 1 32

Each request is a new event for one of ``--learners`` learners (round robin), so concurrent
requests mostly hit different actors, as real traffic does; ``--learners 1`` measures the worst
case, every request queued on one learner's actor.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import statistics
import time
import uuid
from datetime import UTC, datetime, timedelta
from pathlib import Path

import httpx

from devstack.config import find_repo_root, info_file, stack_dir


def _percentile(samples: list[float], q: float) -> float:
    ordered = sorted(samples)
    index = min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))
    return ordered[index]


async def _run(url: str, requests: int, concurrency: int, learners: int) -> dict[str, float]:
    run_id = uuid.uuid4().hex[:8]
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(requests):
        queue.put_nowait(number)
    latencies: list[float] = []
    failures = 0
    when = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            number = queue.get_nowait()
            body = {
                "event_id": f"bench-{run_id}-{number}",
                "learner_id": f"bench-{run_id}-{number % learners}",
                "activity": ("lesson", "exercise", "quiz", "review")[number % 4],
                "topic": ("variables", "loops", "functions")[number % 3],
                "score": 60 + number % 40,
                "completed_at": when,
            }
            started = time.perf_counter()
            response = await client.post(url, json=body)
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != 200

    started = time.perf_counter()
    async with httpx.AsyncClient(timeout=60, limits=httpx.Limits(max_connections=concurrency)) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    elapsed = time.perf_counter() - started
    return {
        "requests": requests,
        "concurrency": concurrency,
        "learners": learners,
        "failures": failures,
        "p50_ms": round(statistics.median(latencies), 1),
        "p90_ms": round(_percentile(latencies, 90), 1),
        "p99_ms": round(_percentile(latencies, 99), 1),
        "max_ms": round(max(latencies), 1),
        "throughput_rps": round(requests / elapsed, 1),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--learners", type=int, default=64)
    parser.add_argument("--warmup", type=int, default=40)
    args = parser.parse_args()
    info = json.loads(Path(info_file(stack_dir(find_repo_root()))).read_text())
    url = f"{info['apps']['user-progress']['app_url']}/update-progress"
    asyncio.run(_run(url, args.warmup, 4, args.learners))
    print(f"POST /update-progress through the real stack ({args.requests} requests per row)")
    columns = ("clients", "learners", "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s", "fail")
    print(" ".join(f"{column:>8}" for column in columns))
    for concurrency in args.concurrency:
        result = asyncio.run(_run(url, args.requests, concurrency, args.learners))
        values = (
            concurrency,
            args.learners,
            result["p50_ms"],
            result["p90_ms"],
            result["p99_ms"],
            result["max_ms"],
            result["throughput_rps"],
            result["failures"],
        )
        print(" ".join(f"{value:>8}" for value in values))


if __name__ == "__main__":
    main()
