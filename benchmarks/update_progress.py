"""Latency of POST /update-progress through the real stack (app -> sidecar -> actor -> PostgreSQL,
events to Kafka), at 1 and 32 concurrent clients. Reports figures; asserts nothing.

    make bench
    .venv/bin/python benchmarks/update_progress.py --requests 400 --concurrency 1 32 --learners 64

Each request is a new event for one of ``--learners`` learners (round robin), so concurrent
requests mostly hit different actors, as real traffic does; ``--learners 1`` measures the worst
case, every request queued on one learner's actor.
"""

from __future__ import annotations

import argparse
import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

from harness import load, operator_headers, print_header, print_row, running_stack


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=400)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--learners", type=int, default=64)
    args = parser.parse_args()
    stack = running_stack()
    url, auth = f"{stack['apps']['user-progress']['app_url']}/update-progress", operator_headers(stack)
    run_id = uuid.uuid4().hex[:8]
    when = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()

    def body(number: int, tag: str) -> dict[str, Any]:
        return {
            "event_id": f"bench-{run_id}-{tag}-{number}",
            "learner_id": f"bench-{run_id}-{number % args.learners}",
            "activity": ("lesson", "exercise", "quiz", "review")[number % 4],
            "topic": ("variables", "loops", "functions")[number % 3],
            "score": 60 + number % 40,
            "completed_at": when,
        }

    asyncio.run(load(url, lambda n: body(n, "warmup"), 40, 4, 200, auth))
    print_header(f"POST /update-progress, real stack, {args.requests} requests per row, {args.learners} learners")
    for concurrency in args.concurrency:
        result = asyncio.run(
            load(url, lambda n, c=concurrency: body(n, f"c{c}"), args.requests, concurrency, 200, auth)
        )
        print_row(concurrency, result)


if __name__ == "__main__":
    main()
