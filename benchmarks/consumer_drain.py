"""How fast both apps' progress-events consumers drain a backlog (the case bulk subscription is for:
after an outage or a burst): ``--messages`` progress events of ``--learners`` learners are put on the
topic at once with a plain Kafka producer, then the apps' own counters
(``learnflow_events_consumed_total`` on ``GET /metrics``) are polled until each app has consumed them.
Reports figures; asserts nothing. Run against a running stack (``make up``):

    .venv/bin/python benchmarks/consumer_drain.py --messages 3000 --learners 64

Compare with ``bulkSubscribe`` on and off (components/subscriptions.yaml) in one sitting.
"""

from __future__ import annotations

import argparse
import json
import re
import time
import uuid
from typing import Any

import httpx
from confluent_kafka import Producer
from harness import operator_headers, running_stack

PROGRESS = "learnflow.progress.updated.v1"
COUNTER = re.compile(
    r'^learnflow_events_consumed_total\{outcome="SUCCESS",type="' + re.escape(PROGRESS) + r'"\} (\S+)$'
)


def _event(learner: str, number: int, week: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": "user-progress",
        "type": PROGRESS,
        "subject": learner,
        "datacontenttype": "application/json",
        "data": {
            "learner_id": learner,
            "source_event_id": f"drain-{uuid.uuid4()}",
            "activity": "quiz",
            "topic": "variables",
            "score": 80,
            "completed_at": "2026-11-18T10:00:00Z",
            "events_recorded": number,
            "xp_earned": 20,
            "xp_total": 20 * number,
            "level": 1,
            "topic_mastery": 50,
            "topic_level": "Learning",
            "topic_next_review_at": "2026-11-19T10:00:00Z",
            "week": week,
            "week_xp": 20 * number,
        },
    }


def _consumed(url: str, headers: dict[str, str]) -> float:
    text = httpx.get(f"{url}/metrics", headers=headers, timeout=10).text
    return sum(float(match.group(1)) for line in text.splitlines() if (match := COUNTER.match(line)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--messages", type=int, default=3000)
    parser.add_argument("--learners", type=int, default=64)
    parser.add_argument("--timeout", type=float, default=300)
    args = parser.parse_args()
    stack = running_stack()
    headers = operator_headers(stack)
    apps = {name: stack["apps"][name]["app_url"] for name in ("user-progress", "course-agent")}
    before = {name: _consumed(url, headers) for name, url in apps.items()}
    run, week = uuid.uuid4().hex[:8], f"{2100 + int(time.time()) % 800}-W07"
    producer = Producer({"bootstrap.servers": stack["kafka_bootstrap"], "linger.ms": 5})
    started = time.perf_counter()
    for number in range(args.messages):
        learner = f"drain-{run}-{number % args.learners}"
        event = _event(learner, number // args.learners + 1, week)
        producer.produce("progress-events", value=json.dumps(event).encode(), key=learner.encode())
    assert producer.flush(60) == 0, "the broker did not acknowledge every message"
    produced = time.perf_counter() - started
    drained: dict[str, float] = {}
    while len(drained) < len(apps) and time.perf_counter() - started < args.timeout:
        for name, url in apps.items():
            if name not in drained and _consumed(url, headers) - before[name] >= args.messages:
                drained[name] = time.perf_counter() - started
        time.sleep(0.1)
    print(f"{args.messages} progress events of {args.learners} learners on the topic in {produced:.2f} s")
    print("| app | drained in s | events/s |")
    print("|---|---|---|")
    for name in apps:
        seconds = drained.get(name)
        shown = f"{seconds:.2f} | {args.messages / seconds:.0f}" if seconds else f"not within {args.timeout:.0f} s | -"
        print(f"| {name} | {shown} |")


if __name__ == "__main__":
    main()
