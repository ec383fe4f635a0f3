"""Starts and stops the floor of a Dapr design (``benchmarks/baseline/through_sidecar.py``) and its own
daprd, on the running stack's PostgreSQL and Kafka, for compare.py.

The sidecar loads two components of its own, written to a temporary folder: a PostgreSQL state store
on its own tables (``bench_floor_state``) and a Kafka pub/sub with its own client id, so it never
touches the services' state or topics. It runs without actors, placement or a Configuration: plain
HTTP to the sidecar, as a team without actors would run it.

``running_floor(..., consumers=True)`` starts the floor with this product's consumers instead: the
same app, publishing to a topic of its own (``bench-floor-consumed``) that two apps consume in bulk
with the settings of LearnFlow's two consumers of ``progress-events`` (read from
``components/subscriptions.yaml``), each with its own sidecar and consumer group - the updating
app itself (as User Progress keeps the leaderboard) and a second one (as the Course Agent keeps its
projection) - each delivery written in one state transaction (``through_sidecar.py --consume``).
``subscribers`` and ``bulk`` make the variants of ``benchmarks/floors.py``: one of the two consumers
only, or batches other than ours.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml
from loadgen import HERE, stack_pids, stop_process_group, wait_until_answering

from devstack.config import sidecar_go_env

FLOOR_TOPIC = "bench-floor-progress"
FLOOR_CONSUMED_TOPIC = "bench-floor-consumed"
COMPONENTS = """\
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: floorstore
spec:
  type: state.postgresql
  version: v1
  metadata:
    - name: connectionString
      value: "{dsn}"
    - name: tableName
      value: bench_floor_state
    - name: metadataTableName
      value: bench_floor_metadata
    - name: timeout
      value: 5s
---
apiVersion: dapr.io/v1alpha1
kind: Component
metadata:
  name: floorpubsub
spec:
  type: pubsub.kafka
  version: v1
  metadata:
    - name: brokers
      value: "{brokers}"
    - name: authType
      value: none
    - name: version
      value: 3.9.0
    - name: clientID
      value: "{{appID}}"
    - name: consumerGroup
      value: "{{appID}}"
    - name: initialOffset
      value: newest
    - name: maxMessageBytes
      value: "1048576"
"""


#: The product's subscriptions, whose bulk settings the floor's consumers take.
PRODUCT_SUBSCRIPTIONS = HERE.parent / "components" / "subscriptions.yaml"
#: Each consumer of the floor with consumers, and the app of ours whose consumer of progress events it mirrors.
MIRRORED_CONSUMERS = {"bench-floor-consumers": "user-progress", "bench-floor-projection": "course-agent"}


def bulk_settings(our_app: str) -> dict[str, Any]:
    """The ``bulkSubscribe`` of ``our_app``'s subscription to progress events (``maxMessagesCount``,
    ``maxAwaitDurationMs``): the batches a consumer standing for it takes."""
    ours = next(
        document
        for document in yaml.safe_load_all(PRODUCT_SUBSCRIPTIONS.read_text())
        if document["spec"]["topic"] == "progress-events" and document["scopes"] == [our_app]
    )
    settings: dict[str, Any] = ours["spec"]["bulkSubscribe"]
    return settings


def consumer_subscriptions(
    topic: str, subscribers: tuple[str, ...] = tuple(MIRRORED_CONSUMERS), bulk: dict[str, Any] | None = None
) -> str:
    """The floor's subscriptions to ``topic``: one for each of ``subscribers`` (of ``MIRRORED_CONSUMERS``;
    an app left out runs but reads nothing), with ``bulk`` as its ``bulkSubscribe`` or, by default, the
    bulk settings of the progress-events subscription of the app it stands for (so both systems batch
    alike)."""
    unknown = set(subscribers) - set(MIRRORED_CONSUMERS)
    if unknown:
        raise ValueError(f"not a consumer of the floor: {sorted(unknown)}")
    documents = []
    for floor_app, our_app in MIRRORED_CONSUMERS.items():
        if floor_app not in subscribers:
            continue
        documents.append(
            {
                "apiVersion": "dapr.io/v2alpha1",
                "kind": "Subscription",
                "metadata": {"name": floor_app},
                "spec": {
                    "pubsubname": "floorpubsub",
                    "topic": topic,
                    "routes": {"default": "/events/progress"},
                    "bulkSubscribe": dict(bulk) if bulk is not None else bulk_settings(our_app),
                },
                "scopes": [floor_app],
            }
        )
    return yaml.safe_dump_all(documents)


@dataclass(frozen=True)
class Floor:
    url: str
    pids: dict[str, int]
    topic: str
    #: the consumer groups that read ``topic`` (one per subscribing app; none without consumers)
    groups: tuple[str, ...]


def stack_daprd(info: dict[str, Any]) -> Path:
    """The daprd executable the running stack's sidecars run: the floors' is the same build, wherever
    ``make`` found or built it (``DAPR_BIN_DIR``), also when a benchmark is run by hand."""
    return Path(os.readlink(f"/proc/{stack_pids(info)['user-progress-daprd']}/exe"))


def _start_app_and_sidecar(
    info: dict[str, Any],
    name: str,
    app_port: int,
    dapr_port: int,
    resources: str,
    app_arguments: list[str],
    processes: list[subprocess.Popen[bytes]],
) -> dict[str, int]:
    """The floor app ``name`` on ``app_port`` and its daprd (app id ``bench-<name>``) on ``dapr_port``
    and the three ports after it; both are appended to ``processes`` as they start."""
    logs = Path(info["logs_dir"])
    app_log = logs / f"bench-{name}.log"
    app = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "baseline" / "through_sidecar.py"),
            "--port",
            str(app_port),
            "--dapr-http-port",
            str(dapr_port),
            *app_arguments,
        ],
        stdout=app_log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    processes.append(app)
    wait_until_answering(f"http://127.0.0.1:{app_port}/healthz", app, f"the {name} app", app_log)
    sidecar_log = logs / f"bench-{name}-daprd.log"
    sidecar = subprocess.Popen(
        [
            str(stack_daprd(info)),
            "--app-id",
            f"bench-{name}",
            "--app-port",
            str(app_port),
            "--app-channel-address",
            "127.0.0.1",
            "--dapr-http-port",
            str(dapr_port),
            "--dapr-grpc-port",
            str(dapr_port + 1),
            "--dapr-internal-grpc-port",
            str(dapr_port + 2),
            "--dapr-listen-addresses",
            "127.0.0.1",
            "--dapr-internal-grpc-listen-address",
            "127.0.0.1",
            "--metrics-port",
            str(dapr_port + 3),
            "--metrics-listen-address",
            "127.0.0.1",
            "--resources-path",
            resources,
            "--scheduler-host-address",
            info["scheduler_address"],
            "--log-level",
            "warn",
        ],
        stdout=sidecar_log.open("wb"),
        stderr=subprocess.STDOUT,
        start_new_session=True,
        # the Go processors of the stack's sidecars (devstack SIDECAR_GOMAXPROCS)
        env={**os.environ, **sidecar_go_env(str(info.get("sidecar_gomaxprocs", "0")))},
    )
    processes.append(sidecar)
    wait_until_answering(
        f"http://127.0.0.1:{dapr_port}/v1.0/healthz/outbound", sidecar, f"the {name} daprd", sidecar_log
    )
    return {name: app.pid, f"{name}-daprd": sidecar.pid}


@contextmanager
def running_floor(
    info: dict[str, Any],
    app_port: int,
    dapr_port: int,
    *,
    consumers: bool = False,
    subscribers: tuple[str, ...] = tuple(MIRRORED_CONSUMERS),
    bulk: dict[str, Any] | None = None,
) -> Iterator[Floor]:
    """The floor app on ``app_port`` and its sidecar's HTTP API on ``dapr_port`` (its gRPC, internal
    gRPC and metrics ports the three after it), up until the block ends. With ``consumers``, the
    projection app on ``app_port + 1`` and its sidecar on ``dapr_port + 4`` too, ``subscribers`` of the
    two consuming (``consumer_subscriptions``: with ``bulk`` instead of ours' batches)."""
    topic = FLOOR_CONSUMED_TOPIC if consumers else FLOOR_TOPIC
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as resources:
        (Path(resources) / "components.yaml").write_text(
            COMPONENTS.format(dsn=info["postgres_dsn"], brokers=info["kafka_bootstrap"])
        )
        arguments = ["--topic", topic]
        groups: tuple[str, ...] = ()
        if consumers:
            (Path(resources) / "subscriptions.yaml").write_text(consumer_subscriptions(topic, subscribers, bulk))
            arguments.append("--consume")
            groups = tuple(app for app in MIRRORED_CONSUMERS if app in subscribers)
        try:
            name = "floor-consumers" if consumers else "floor"
            pids = _start_app_and_sidecar(info, name, app_port, dapr_port, resources, arguments, processes)
            if consumers:
                pids |= _start_app_and_sidecar(
                    info, "floor-projection", app_port + 1, dapr_port + 4, resources, arguments, processes
                )
            yield Floor(f"http://127.0.0.1:{app_port}", pids, topic, groups)
        finally:
            for process in reversed(processes):
                stop_process_group(process)
