"""Latency of lesson generation with the built-in generator: in-process (choose + compose, the
pure domain) and POST /generate-lesson through the real stack at 1 and 32 concurrent clients.
Reports figures; asserts nothing.

    make bench
    .venv/bin/python benchmarks/generate_lesson.py --requests 300 --concurrency 1 32
"""

from __future__ import annotations

import argparse
import asyncio
import time
import uuid
from datetime import UTC, datetime

from harness import load, operator_headers, print_header, print_row, running_stack, summary

from course_agent.content import curriculum
from course_agent.domain.generator import choose, compose
from course_agent.domain.knowledge import LearnerKnowledge, TopicKnowledge


def in_process(iterations: int) -> dict[str, float]:
    knowledge = LearnerKnowledge(
        learner_id="bench",
        topics={t.slug: TopicKnowledge(attempts=3, scores=(80, 85, 90), mastery=80) for t in curriculum().topics[:5]},
    )
    latencies = []
    started = time.perf_counter()
    for number in range(iterations):
        begin = time.perf_counter()
        choice = choose(curriculum(), knowledge, datetime.now(UTC))
        compose(
            curriculum(),
            choice,
            knowledge,
            learner_id="bench",
            lesson_id=f"bench~{number:032x}",
            created_at=datetime.now(UTC),
            previous_lessons_on_topic=number,
            seed=number,
        )
        latencies.append((time.perf_counter() - begin) * 1000)
    return summary(latencies, time.perf_counter() - started, 0)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--requests", type=int, default=300)
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--learners", type=int, default=64)
    args = parser.parse_args()
    print_header("choose + compose, in-process, 2000 lessons")
    print_row("-", in_process(2000))
    stack = running_stack()
    url, auth = f"{stack['apps']['course-agent']['app_url']}/generate-lesson", operator_headers(stack)
    run_id = uuid.uuid4().hex[:8]
    asyncio.run(load(url, lambda n: {"learner_id": f"bench-{run_id}-w{n % 8}"}, 24, 4, 201, auth))
    print_header(f"POST /generate-lesson, real stack, {args.requests} requests per row, {args.learners} learners")
    for concurrency in args.concurrency:
        result = asyncio.run(
            load(
                url,
                lambda n, c=concurrency: {"learner_id": f"bench-{run_id}-c{c}-{n % args.learners}"},
                args.requests,
                concurrency,
                201,
                auth,
            )
        )
        print_row(concurrency, result)


if __name__ == "__main__":
    main()
