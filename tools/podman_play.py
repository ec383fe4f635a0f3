"""The local container overlay: the cluster's pods as `podman kube play` runs them, plus a smoke test.

It renders ../k8s/base with kubectl kustomize and, for each service Deployment, spells out what the
Dapr injector would add in a cluster: a daprd container (the binary the foundation builds, the
components of ../components). PostgreSQL, Kafka and Dapr's placement and scheduler run as pods
of the offline infrastructure image. Every pod uses the host network (podman's pod DNS is not
Kubernetes DNS), on a port block of its own, so a running `make up` stack is not disturbed.

    .venv/bin/python tools/podman_play.py up | smoke | down
"""

from __future__ import annotations

import argparse
import json
import os
import secrets
import subprocess
import sys
import time
import uuid
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import yaml

REPO = Path(__file__).resolve().parents[1]
STATE = REPO / ".stack-podman"
INFRA_IMAGE = "localhost/learnflow/infra-base:bookworm"
DAPR_VERSION = next(
    line.split()[1].lstrip("v")
    for line in (REPO / "tools/dapr/go.mod").read_text().splitlines()
    if line.strip().startswith("github.com/dapr/dapr ")
)
DAPRD_IMAGE = f"localhost/learnflow/daprd:{DAPR_VERSION}"  # made by `make images` from the built binary
PORTS = {
    "postgres": 22432,
    "kafka": 22092,
    "kafka_controller": 22093,
    "placement": 22005,
    "placement_healthz": 22081,
    "placement_raft": 22201,
    "scheduler": 22006,
    "scheduler_healthz": 22082,
    "etcd_client": 22379,
    "etcd_peer": 22380,
}
APPS = {
    "course-agent": {"app": 22801, "http": 22501, "grpc": 22601, "internal": 22701, "metrics": 22901},
    "user-progress": {"app": 22802, "http": 22502, "grpc": 22602, "internal": 22702, "metrics": 22902},
}


def _podman(*args: str, check: bool = True, capture: bool = True) -> str:
    env = {**os.environ}
    env.setdefault("CONTAINERS_CONF", str(REPO / "tools/containers.conf"))
    result = subprocess.run(["podman", *args], check=check, capture_output=capture, text=True, env=env)
    return result.stdout


def _pod(name: str, containers: list[dict[str, Any]], volumes: list[dict[str, Any]] | None = None) -> dict[str, Any]:
    return {
        "apiVersion": "v1",
        "kind": "Pod",
        "metadata": {"name": name, "labels": {"app.kubernetes.io/part-of": "learnflow"}},
        "spec": {"hostNetwork": True, "restartPolicy": "Never", "containers": containers, "volumes": volumes or []},
    }


def _host_path(name: str, path: Path) -> dict[str, Any]:
    return {"name": name, "hostPath": {"path": str(path), "type": "Directory"}}


def _infra_pods(kafka_libs: Path, password: str) -> list[dict[str, Any]]:
    p = PORTS
    postgres = (
        "set -e; install -d -o postgres /tmp/pg; echo '{pw}' > /tmp/pw; chown postgres /tmp/pw; "
        "su postgres -s /bin/sh -c '/usr/lib/postgresql/15/bin/initdb -D /tmp/pg/data -U learnflow "
        "--pwfile=/tmp/pw --auth=scram-sha-256 >/dev/null && exec /usr/lib/postgresql/15/bin/postgres "
        "-D /tmp/pg/data -p {port} -c listen_addresses=127.0.0.1 -c unix_socket_directories=/tmp/pg'"
    ).format(pw=password, port=p["postgres"])
    kafka = (
        "set -e; cat > /tmp/server.properties <<EOF\n"
        "process.roles=broker,controller\nnode.id=1\ncontroller.quorum.voters=1@127.0.0.1:{c}\n"
        "listeners=PLAINTEXT://127.0.0.1:{k},CONTROLLER://127.0.0.1:{c}\nadvertised.listeners=PLAINTEXT://127.0.0.1:{k}\n"
        "controller.listener.names=CONTROLLER\nlistener.security.protocol.map=CONTROLLER:PLAINTEXT,PLAINTEXT:PLAINTEXT\n"
        "log.dirs=/tmp/kafka\nnum.partitions=3\noffsets.topic.replication.factor=1\n"
        "transaction.state.log.replication.factor=1\ntransaction.state.log.min.isr=1\nauto.create.topics.enable=true\n"
        "EOF\n"
        "java -cp '/opt/kafka/libs/*' kafka.tools.StorageTool format -t $(cat /proc/sys/kernel/random/uuid | tr -d - "
        "| head -c 22) -c /tmp/server.properties >/dev/null; "
        "exec java -Xmx512m -cp '/opt/kafka/libs/*' kafka.Kafka /tmp/server.properties"
    ).format(k=p["kafka"], c=p["kafka_controller"])
    placement = [
        "/usr/local/bin/placement",
        "--port",
        str(p["placement"]),
        "--healthz-port",
        str(p["placement_healthz"]),
        "--initial-cluster",
        f"dapr-placement-0=127.0.0.1:{p['placement_raft']}",
        "--enable-metrics=false",
    ]
    scheduler = [
        "/usr/local/bin/scheduler",
        "--port",
        str(p["scheduler"]),
        "--healthz-port",
        str(p["scheduler_healthz"]),
        "--etcd-data-dir",
        "/tmp/etcd",
        "--etcd-client-port",
        str(p["etcd_client"]),
        "--etcd-initial-cluster",
        f"dapr-scheduler-server-0=http://127.0.0.1:{p['etcd_peer']}",
        "--enable-metrics=false",
    ]
    return [
        _pod("lf-postgres", [{"name": "postgres", "image": INFRA_IMAGE, "command": ["sh", "-c", postgres]}]),
        _pod(
            "lf-kafka",
            [
                {
                    "name": "kafka",
                    "image": INFRA_IMAGE,
                    "command": ["sh", "-c", kafka],
                    "volumeMounts": [{"name": "kafka-libs", "mountPath": "/opt/kafka/libs", "readOnly": True}],
                }
            ],
            [_host_path("kafka-libs", kafka_libs)],
        ),
        _pod(
            "lf-dapr-control-plane",
            [
                {"name": "placement", "image": DAPRD_IMAGE, "command": placement},
                {"name": "scheduler", "image": DAPRD_IMAGE, "command": scheduler},
            ],
        ),
    ]


def _service_pods(env: dict[str, str]) -> list[dict[str, Any]]:
    """The Deployments of k8s/base, with the sidecar the injector would add."""
    kubectl = Path(sys.executable).with_name("kubectl")
    rendered = subprocess.run(
        [str(kubectl), "kustomize", str(REPO / "k8s/base")], check=True, capture_output=True, text=True
    ).stdout
    pods = []
    for doc in yaml.safe_load_all(rendered):
        if not doc or doc["kind"] != "Deployment":
            continue
        name = doc["metadata"]["name"]
        ports = APPS[name]
        template = doc["spec"]["template"]
        annotations = template["metadata"]["annotations"]
        [app] = template["spec"]["containers"]
        app["image"] = f"localhost/{app['image']}"
        app["env"] = [
            {"name": k, "value": v}
            for k, v in {
                "APP_ID": name,
                "APP_HOST": "127.0.0.1",
                "APP_PORT": str(ports["app"]),
                "DAPR_HTTP_PORT": str(ports["http"]),
                "DAPR_API_TOKEN": env["DAPR_API_TOKEN"],
                "APP_API_TOKEN": env["APP_API_TOKEN"],
            }.items()
        ]
        app.pop("ports", None)
        for probe in ("startupProbe", "livenessProbe", "readinessProbe"):
            app.pop(probe, None)
        daprd = {
            "name": "daprd",
            "image": DAPRD_IMAGE,
            "command": [
                "/usr/local/bin/daprd",
                "--app-id",
                annotations["dapr.io/app-id"],
                "--app-port",
                str(ports["app"]),
                "--app-protocol",
                annotations["dapr.io/app-protocol"],
                "--dapr-http-port",
                str(ports["http"]),
                "--dapr-grpc-port",
                str(ports["grpc"]),
                "--dapr-internal-grpc-port",
                str(ports["internal"]),
                "--metrics-port",
                str(ports["metrics"]),
                "--resources-path",
                "/components",
                "--config",
                "/components/config.yaml",
                "--placement-host-address",
                f"127.0.0.1:{PORTS['placement']}",
                "--scheduler-host-address",
                f"127.0.0.1:{PORTS['scheduler']}",
                "--enable-app-health-check",
                "--app-health-check-path",
                annotations["dapr.io/app-health-check-path"],
                "--log-level",
                annotations["dapr.io/log-level"],
            ],
            "env": [{"name": k, "value": v} for k, v in env.items()],
            "volumeMounts": [{"name": "components", "mountPath": "/components", "readOnly": True}],
        }
        spec = template["spec"]
        spec["containers"] = [app, daprd]
        spec["volumes"] = [*spec.get("volumes", []), _host_path("components", REPO / "components")]
        pods.append(_pod(name, spec["containers"], spec["volumes"]))
        pods[-1]["spec"]["securityContext"] = spec["securityContext"]
    return pods


def up() -> None:
    kafka_libs = Path(os.environ["KAFKA_LIBS_DIR"])
    password = secrets.token_hex(16)
    env = {
        "DAPR_API_TOKEN": secrets.token_urlsafe(24),
        "APP_API_TOKEN": secrets.token_urlsafe(24),
        "KAFKA_BROKERS": f"127.0.0.1:{PORTS['kafka']}",
        "POSTGRES_CONNECTION_STRING": f"host=127.0.0.1 port={PORTS['postgres']} user=learnflow password={password} "
        "dbname=postgres sslmode=disable",
    }
    STATE.mkdir(exist_ok=True)
    infra = STATE / "infra.yaml"
    services = STATE / "services.yaml"
    infra.write_text(yaml.safe_dump_all(_infra_pods(kafka_libs, password)))
    services.write_text(yaml.safe_dump_all(_service_pods(env)))
    (STATE / "env.json").write_text(json.dumps(env))
    _podman("kube", "play", str(infra))
    _wait_tcp(PORTS["postgres"], "PostgreSQL")
    _wait_tcp(PORTS["kafka"], "Kafka")
    _wait_http(f"http://127.0.0.1:{PORTS['placement_healthz']}/healthz", "placement")
    _wait_http(f"http://127.0.0.1:{PORTS['scheduler_healthz']}/healthz", "scheduler")
    _podman("kube", "play", str(services))
    for name, ports in APPS.items():
        _wait_http(f"http://127.0.0.1:{ports['app']}/readyz", f"{name} (/readyz)", timeout=180)


def _wait_tcp(port: int, what: str, timeout: float = 120) -> None:
    import socket

    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                print(f"podman-play: ready: {what}", flush=True)
                return
        time.sleep(0.5)
    raise SystemExit(f"podman-play: {what} not listening on {port} after {timeout}s")


def _wait_http(url: str, what: str, timeout: float = 120) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        try:
            if httpx.get(url, timeout=3).status_code < 300:
                print(f"podman-play: ready: {what}", flush=True)
                return
        except httpx.HTTPError:
            pass
        time.sleep(1)
    raise SystemExit(f"podman-play: {what} not ready after {timeout}s ({url})")


def smoke() -> int:
    """The same checks as `make verify`: placement + actors, then the end-to-end flow and both events."""
    from confluent_kafka import Consumer

    env = json.loads((STATE / "env.json").read_text())
    headers = {"dapr-api-token": env["DAPR_API_TOKEN"]}
    expected = {
        "course-agent": {"LearnerPlanActor", "LessonFeedActor", "LessonFeedCatalogActor"},
        "user-progress": {"LearnerProgressActor", "LeaderboardActor"},
    }
    for name, ports in APPS.items():
        runtime = httpx.get(f"http://127.0.0.1:{ports['http']}/v1.0/metadata", headers=headers, timeout=10).json()[
            "actorRuntime"
        ]
        registered = {actor["type"] for actor in runtime["activeActors"]}
        print(f"podman-play: {name}: {runtime['placement']}, actors {sorted(registered)}")
        if runtime["placement"] != "placement: connected" or not expected[name] <= registered:
            return 1
    learner = f"podman-{uuid.uuid4().hex[:8]}"
    progress, agent = (f"http://127.0.0.1:{APPS[n]['app']}" for n in ("user-progress", "course-agent"))
    event = {
        "event_id": f"e-{uuid.uuid4()}",
        "learner_id": learner,
        "activity": "quiz",
        "topic": "variables",
        "score": 90,
        "completed_at": datetime.now(UTC).isoformat(),
    }
    httpx.post(f"{progress}/update-progress", json=event, timeout=30).raise_for_status()
    status = httpx.get(f"{progress}/status", params={"learner_id": learner}, timeout=30).json()
    lesson = httpx.post(f"{agent}/generate-lesson", json={"learner_id": learner}, timeout=60)
    print(f"podman-play: status events_recorded={status['events_recorded']}, lesson {lesson.status_code}")
    if status["events_recorded"] != 1 or lesson.status_code != 201:
        return 1
    consumer = Consumer(
        {"bootstrap.servers": env["KAFKA_BROKERS"], "group.id": f"smoke-{learner}", "auto.offset.reset": "earliest"}
    )
    consumer.subscribe(["progress-events", "lesson-events"])
    seen: set[str] = set()
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and seen != {"progress-events", "lesson-events"}:
        message = consumer.poll(0.5)
        if message is not None and not message.error() and json.loads(message.value()).get("subject") == learner:
            seen.add(message.topic())
    consumer.close()
    print(f"podman-play: events read from Kafka: {sorted(seen)}")
    return 0 if seen == {"progress-events", "lesson-events"} else 1


def down() -> None:
    for name in ("course-agent", "user-progress", "lf-dapr-control-plane", "lf-kafka", "lf-postgres"):
        _podman("pod", "rm", "-f", "-t", "5", name, check=False)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("command", choices=["up", "smoke", "down"])
    command = parser.parse_args().command
    if command == "up":
        up()
        return 0
    if command == "down":
        down()
        return 0
    return smoke()


if __name__ == "__main__":
    sys.exit(main())
