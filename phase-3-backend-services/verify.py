"""`make verify`: the deployed system does what the product promises, checked from outside.

1. every pod in the namespace is ready;
2. each service's daprd sidecar reports placement connected and its app's actor types;
3. end to end through port-forwards: update progress, read the status, generate a lesson, and read
   both events back from Kafka with Kafka's own console consumer.
Exits non-zero, saying which step failed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime

import httpx

ACTOR_TYPES = {
    "course-agent": {"LearnerPlanActor", "LessonFeedActor", "LessonFeedCatalogActor"},
    "user-progress": {"LearnerProgressActor", "LeaderboardActor"},
}
APP_PORTS = {"course-agent": 8001, "user-progress": 8002}


def run(kubectl: str, *args: str) -> str:
    return subprocess.run([kubectl, *args], check=True, capture_output=True, text=True).stdout


@contextlib.contextmanager
def port_forward(kubectl: str, namespace: str, target: str, local: int, remote: int) -> Iterator[str]:
    process = subprocess.Popen(
        [kubectl, "-n", namespace, "port-forward", target, f"{local}:{remote}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{local}"
        for _ in range(50):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url, timeout=1)
                break
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def step(name: str) -> None:
    print(f"verify: {name}", flush=True)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--namespace", required=True, help="the scope's namespace (make verify passes it)")
    parser.add_argument("--kubectl", default="kubectl")
    args = parser.parse_args()
    kubectl, namespace = args.kubectl, args.namespace

    step("all pods ready")
    run(
        kubectl,
        "-n",
        namespace,
        "wait",
        "--for=condition=ready",
        "pod",
        "-l",
        "app.kubernetes.io/part-of=learnflow",
        "--field-selector=status.phase=Running",
        "--timeout=300s",
    )

    token = base64.b64decode(
        run(kubectl, "-n", namespace, "get", "secret", "dapr-api-token", "-o", "jsonpath={.data.token}")
    ).decode()
    for offset, (service, actor_types) in enumerate(ACTOR_TYPES.items()):
        step(f"{service}: sidecar connected to placement with actors {sorted(actor_types)}")
        with port_forward(kubectl, namespace, f"deployment/{service}", 13500 + offset, 3500) as dapr:
            metadata = httpx.get(f"{dapr}/v1.0/metadata", headers={"dapr-api-token": token}, timeout=10).json()
        runtime = metadata["actorRuntime"]
        registered = {actor["type"] for actor in runtime["activeActors"]}
        if runtime.get("placement") != "placement: connected" or not actor_types <= registered:
            print(f"verify: FAILED for {service}: {json.dumps(runtime)}", file=sys.stderr)
            return 1

    learner = f"verify-{uuid.uuid4().hex[:8]}"
    with (
        port_forward(kubectl, namespace, "service/user-progress", 18002, APP_PORTS["user-progress"]) as progress,
        port_forward(kubectl, namespace, "service/course-agent", 18001, APP_PORTS["course-agent"]) as agent,
    ):
        step("update progress")
        event = {
            "event_id": f"verify-{uuid.uuid4()}",
            "learner_id": learner,
            "activity": "quiz",
            "topic": "variables",
            "score": 90,
            "completed_at": datetime.now(UTC).isoformat(),
        }
        httpx.post(f"{progress}/update-progress", json=event, timeout=30).raise_for_status()
        step("read the status")
        status = httpx.get(f"{progress}/status", params={"learner_id": learner}, timeout=30).json()
        assert status["events_recorded"] == 1, status
        step("generate a lesson")
        lesson = httpx.post(f"{agent}/generate-lesson", json={"learner_id": learner}, timeout=60)
        assert lesson.status_code == 201, lesson.text

    for topic in ("progress-events", "lesson-events"):
        step(f"read the learner's event from {topic} with a plain Kafka consumer")
        consumed = run(
            kubectl,
            "-n",
            namespace,
            "exec",
            "kafka-0",
            "--",
            "/opt/kafka/bin/kafka-console-consumer.sh",
            "--bootstrap-server",
            "localhost:9092",
            "--topic",
            topic,
            "--from-beginning",
            "--timeout-ms",
            "15000",
        )
        if learner not in consumed:
            print(f"verify: FAILED: no event for {learner} on {topic}", file=sys.stderr)
            return 1
    print("verify: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
