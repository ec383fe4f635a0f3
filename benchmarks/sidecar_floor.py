"""Starts and stops the floor of a Dapr design (``benchmarks/baseline/through_sidecar.py``) and its own
daprd, on the running stack's PostgreSQL and Kafka, for compare.py.

The sidecar loads two components of its own, written to a temporary folder: a PostgreSQL state store
on its own tables (``bench_floor_state``) and a Kafka pub/sub with its own client id, so it never
touches the services' state or topics. It runs without actors, placement or a Configuration: plain
HTTP to the sidecar, as a team without actors would run it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
from loadgen import HERE, stop_process_group

FLOOR_TOPIC = "bench-floor-progress"
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
      value: bench-floor
    - name: maxMessageBytes
      value: "1048576"
"""


@dataclass(frozen=True)
class Floor:
    url: str
    pids: dict[str, int]


def _wait(url: str, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited: see {log}")
        try:
            if httpx.get(url, timeout=1).status_code < 300:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer {url} within 60 s: see {log}")


@contextmanager
def running_floor(info: dict[str, Any], app_port: int, dapr_port: int) -> Iterator[Floor]:
    """The floor app on ``app_port`` and its sidecar's HTTP API on ``dapr_port`` (its gRPC, internal
    gRPC and metrics ports the three after it), up until the block ends."""
    dapr_bin = Path(os.environ.get("DAPR_BIN_DIR", Path.home() / ".dapr" / "bin"))
    logs = Path(info["logs_dir"])
    processes: list[subprocess.Popen[bytes]] = []
    with tempfile.TemporaryDirectory(prefix="bench-floor-") as resources:
        (Path(resources) / "components.yaml").write_text(
            COMPONENTS.format(dsn=info["postgres_dsn"], brokers=info["kafka_bootstrap"])
        )
        try:
            app_log = logs / "bench-floor.log"
            processes.append(
                subprocess.Popen(
                    [
                        sys.executable,
                        str(HERE / "baseline" / "through_sidecar.py"),
                        "--port",
                        str(app_port),
                        "--dapr-http-port",
                        str(dapr_port),
                        "--topic",
                        FLOOR_TOPIC,
                    ],
                    stdout=app_log.open("wb"),
                    stderr=subprocess.STDOUT,
                    start_new_session=True,
                )
            )
            _wait(f"http://127.0.0.1:{app_port}/healthz", processes[0], "the floor app", app_log)
            sidecar_log = logs / "bench-floor-daprd.log"
            processes.append(
                subprocess.Popen(
                    [
                        str(dapr_bin / "daprd"),
                        "--app-id",
                        "bench-floor",
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
                )
            )
            _wait(f"http://127.0.0.1:{dapr_port}/v1.0/healthz/outbound", processes[1], "the floor's daprd", sidecar_log)
            yield Floor(f"http://127.0.0.1:{app_port}", {"floor": processes[0].pid, "floor-daprd": processes[1].pid})
        finally:
            for process in reversed(processes):
                stop_process_group(process)
