"""`make verify`: the deployed system does what the product promises, checked from outside.

1. every pod in the namespace is ready;
2. each service's daprd sidecar reports placement connected and its app's actor types;
3. end to end through port-forwards: update progress, read the status, generate a lesson, and read
   both events back from Kafka with Kafka's own console consumer;
4. the access-control policy: through the Course Agent's sidecar, `GET /status` of User Progress is
   allowed and `POST /update-progress` is refused;
5. a User Progress pod is killed while a client inside the cluster keeps recording events through
   the Service (retrying a failed call with the same event id, as clients should): the pod is
   replaced and every acknowledged event is counted, none twice.
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
    step("access control: course-agent may GET /status of user-progress, not POST /update-progress")
    with port_forward(kubectl, namespace, "deployment/course-agent", 13510, 3500) as dapr:
        headers = {"dapr-api-token": token}
        allowed = httpx.get(
            f"{dapr}/v1.0/invoke/user-progress/method/status",
            params={"learner_id": learner},
            headers=headers,
            timeout=30,
        )
        refused = httpx.post(
            f"{dapr}/v1.0/invoke/user-progress/method/update-progress", json=event, headers=headers, timeout=30
        )
    if allowed.status_code != 200 or refused.status_code != 403:
        print(
            f"verify: FAILED: GET /status answered {allowed.status_code} (want 200), POST /update-progress "
            f"{refused.status_code} (want 403): {refused.text[:300]}",
            file=sys.stderr,
        )
        return 1

    step("kill a user-progress pod under load: it is replaced and no acknowledged update is lost")
    return pod_kill_loses_nothing(kubectl, namespace)


#: Runs inside the course-agent pod (its image has Python and httpx): records events for one learner
#: through the user-progress Service, retrying each failed call with the same event id until it is
#: acknowledged, and prints how many it sent and what /status counts afterwards.
CLIENT = """
import sys, time, uuid, datetime, httpx
learner, total = sys.argv[1], int(sys.argv[2])
url = "http://user-progress:8002"
acknowledged = 0
with httpx.Client(timeout=10) as client:
    for number in range(total):
        body = {"event_id": f"{learner}-{number:05d}", "learner_id": learner, "activity": "quiz",
                "topic": "loops", "score": 70,
                "completed_at": datetime.datetime.now(datetime.UTC).isoformat()}
        for attempt in range(120):
            try:
                if client.post(f"{url}/update-progress", json=body).status_code == 200:
                    acknowledged += 1
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            sys.exit(f"event {number} never acknowledged")
        time.sleep(0.05)
    status = client.get(f"{url}/status", params={"learner_id": learner}).json()
print(acknowledged, status["events_recorded"])
"""


def pod_kill_loses_nothing(kubectl: str, namespace: str, total: int = 150) -> int:
    learner = f"verify-kill-{uuid.uuid4().hex[:8]}"
    pods = run(kubectl, "-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=user-progress", "-o", "name")
    victim = pods.split()[0]
    client = subprocess.Popen(
        [kubectl, "-n", namespace, "exec", "deployment/course-agent", "-c", "course-agent", "--",
         "python3", "-c", CLIENT, learner, str(total)],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    time.sleep(4)
    run(kubectl, "-n", namespace, "delete", victim, "--grace-period=0", "--force", "--wait=false")
    out, err = client.communicate(timeout=600)
    if client.returncode != 0:
        print(f"verify: FAILED: the client in the cluster stopped: {err[-500:]}", file=sys.stderr)
        return 1
    acknowledged, recorded = (int(value) for value in out.split()[-2:])
    run(kubectl, "-n", namespace, "rollout", "status", "deployment/user-progress", "--timeout=300s")
    print(f"verify: {acknowledged} events acknowledged, {recorded} recorded, {victim} killed and replaced")
    if acknowledged != total or recorded != total:
        print(f"verify: FAILED: {total} sent, {acknowledged} acknowledged, {recorded} recorded", file=sys.stderr)
        return 1
    print("verify: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
