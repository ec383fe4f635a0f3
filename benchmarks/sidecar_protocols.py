"""The sidecar's state API over HTTP (the apps' own client, ``learnflow_common.dapr.sidecar``) against
gRPC (``grpc.aio`` with the Dapr SDK's generated stubs: values as bytes, so daprd does no JSON of its
own): CPU per call in this process and in daprd, and each call's time. Reports figures; asserts nothing.

The calls are an update's two state exchanges, with a snapshot-sized value: a read of one key, and
a transaction upserting a snapshot, a day's log and an event id, the values' JSON written and read
by the same code both ways (``json_body``, as the apps do). They go to the floor's sidecar
(``sidecar_floor.running_floor``: the stack's daprd build and PostgreSQL, its own table, no
Configuration), since the services' sidecars serve no gRPC state API (their ``api.allowed``).
Run against a running stack (``make up``):

    .venv/bin/python benchmarks/sidecar_protocols.py --calls 1000 --rounds 2
"""

from __future__ import annotations

import argparse
import contextlib
import json
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

import grpc
import uvloop
from dapr.proto.common.v1 import common_pb2
from dapr.proto.runtime.v1 import dapr_pb2_grpc, state_pb2
from harness import running_stack
from loadgen import HERE
from sidecar_floor import running_floor

from learnflow_common.dapr import json_body
from learnflow_common.dapr.sidecar import DaprSidecar

STORE = "floorstore"
RESULT = HERE / "results" / "sidecar_protocols.json"
#: A learner's values as an update writes them (sizes of the stack's: snapshot ~3-7 KB, day ~1 KB).
SNAPSHOT = {
    "version": 5,
    "fold": {"topics": {f"topic-{n}": {"mastery": n, "reviews": ["2026-11-18T10:00:00Z"] * 8} for n in range(30)}},
}
DAY = {"events": [{"event_id": f"event-{n}", "activity": "quiz", "score": 80, "note": "x" * 40} for n in range(12)]}
STRONG = common_pb2.StateOptions.CONSISTENCY_STRONG


def _cpu_seconds(pid: int) -> float:
    """The process's CPU time to the nanosecond (its threads' schedstat; /proc's stat counts in
    hundredths of a second, too coarse for a few hundred calls)."""
    total = 0
    for task in Path(f"/proc/{pid}/task").iterdir():
        with contextlib.suppress(FileNotFoundError):  # a thread that ended meanwhile
            total += int((task / "schedstat").read_text().split()[0])
    return total / 1e9


class Calls:
    """The same two exchanges through each protocol."""

    def __init__(self, http: DaprSidecar, stub: dapr_pb2_grpc.DaprStub) -> None:
        self.http, self.stub = http, stub

    async def http_read(self, number: int) -> None:
        entry = await self.http.get_state(STORE, "protocols~snapshot")
        assert entry is not None
        entry.value  # noqa: B018 - parsed, as a reader does

    async def grpc_read(self, number: int) -> None:
        answer = await self.stub.GetState(
            state_pb2.GetStateRequest(store_name=STORE, key="protocols~snapshot", consistency=STRONG)
        )
        json_body.decode(answer.data)

    async def http_transaction(self, number: int) -> None:
        await self.http.transact_state(STORE, _changes("http", number))

    async def grpc_transaction(self, number: int) -> None:
        operations = [
            state_pb2.TransactionalStateOperation(
                operationType="upsert", request=common_pb2.StateItem(key=key, value=json_body.encode(value))
            )
            for key, value in _changes("grpc", number).items()
        ]
        await self.stub.ExecuteStateTransaction(
            state_pb2.ExecuteStateTransactionRequest(storeName=STORE, operations=operations)
        )


def _changes(protocol: str, number: int) -> dict[str, Any]:
    learner = f"protocols~{protocol}~{number % 64}"
    return {f"{learner}~snapshot": SNAPSHOT, f"{learner}~day": DAY, f"{learner}~id~{number}": {"fingerprint": "f"}}


async def _measure(call: Callable[[int], Awaitable[None]], calls: int, daprd: int) -> dict[str, float]:
    for number in range(50):  # connections open, code warm
        await call(number)
    cpu, sidecar_cpu, started = time.process_time(), _cpu_seconds(daprd), time.perf_counter()
    for number in range(calls):
        await call(number)
    return {
        "us_per_call": round((time.perf_counter() - started) / calls * 1e6),
        "client_cpu_us": round((time.process_time() - cpu) / calls * 1e6),
        "daprd_cpu_us": round((_cpu_seconds(daprd) - sidecar_cpu) / calls * 1e6),
    }


async def _compare(dapr_port: int, daprd: int, calls: int, rounds: int) -> list[dict[str, Any]]:
    http = DaprSidecar(f"http://127.0.0.1:{dapr_port}", api_token="")
    channel = grpc.aio.insecure_channel(f"127.0.0.1:{dapr_port + 1}")
    exchanges = Calls(http, dapr_pb2_grpc.DaprStub(channel))
    try:
        await http.save_state(STORE, "protocols~snapshot", SNAPSHOT)
        await exchanges.grpc_transaction(0)  # what gRPC writes, HTTP reads back alike
        written = await http.get_state(STORE, "protocols~grpc~0~snapshot")
        assert written is not None
        assert written.value == SNAPSHOT, "a value written over gRPC reads differently"
        rows = []
        for round_number in range(rounds):
            pairs = [
                (("read, HTTP", exchanges.http_read), ("read, gRPC", exchanges.grpc_read), calls),
                (
                    ("transaction, HTTP", exchanges.http_transaction),
                    ("transaction, gRPC", exchanges.grpc_transaction),
                    calls // 2,
                ),
            ]
            for first, second, count in pairs:
                # HTTP first in odd rounds, gRPC first in even ones: what drifts within a round is shared
                for name, call in (first, second) if round_number % 2 == 0 else (second, first):
                    rows.append({"round": round_number + 1, "exchange": name, **await _measure(call, count, daprd)})
        return rows
    finally:
        await http.aclose()
        await channel.close()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--calls", type=int, default=1000, help="reads per round (transactions: half)")
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--app-port", type=int, default=18650)
    parser.add_argument("--dapr-port", type=int, default=18660, help="its gRPC port is the next one")
    args = parser.parse_args()
    stack = running_stack()
    with running_floor(stack, args.app_port, args.dapr_port) as floor:
        rows = uvloop.run(_compare(args.dapr_port, floor.pids["floor-daprd"], args.calls, args.rounds))
    snapshot_bytes = len(json_body.encode(SNAPSHOT))
    print(f"The state API over HTTP and gRPC, snapshot {snapshot_bytes} bytes, one call at a time")
    print("| round | exchange | us per call | client CPU us | daprd CPU us |")
    print("|---|---|---|---|---|")
    for row in rows:
        figures = " | ".join(str(row[name]) for name in ("us_per_call", "client_cpu_us", "daprd_cpu_us"))
        print(f"| {row['round']} | {row['exchange']} | {figures} |")
    RESULT.write_text(json.dumps({"snapshot_bytes": snapshot_bytes, "rows": rows}, indent=2) + "\n")


if __name__ == "__main__":
    main()
