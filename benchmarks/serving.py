"""uvicorn's HTTP protocol against one that sends each answer in one write (a candidate, measured and
not taken: benchmarks/results/PROFILE.md, "Phase 21"): CPU per request of the serving process and of
the client, and the client's throughput and latency, in one sitting. Reports figures; asserts nothing.

uvicorn writes an answer's status line and headers in one ``write`` and its body in another; its
sockets have TCP_NODELAY, so each leaves as a segment of its own and wakes the reader (the sidecar,
for every actor call and delivery) once more. The candidate, ``OneWriteProtocol``, is uvicorn's
protocol over a transport that holds an answer's head until its body is written.

Two server processes of the same small FastAPI app, one with each protocol, answer ``GET /status``
with a JSON body of the given sizes (~7 KB: an actor's answer holding a learner's snapshot; ~0.4 KB:
an update's answer), after a check that both send the same bytes. ``wrk`` loads them in turn,
round by round in alternating order (the machine's speed drifts). Needs no stack.

    .venv/bin/python benchmarks/serving.py [--rounds 3 --seconds 3 --clients 1 32 --sizes 400 7000]"""

from __future__ import annotations

import argparse
import asyncio
import json
import resource
import socket
import statistics
import subprocess
import sys
import time
from pathlib import Path
from typing import Any, cast

import httpx
from loadgen import HERE, TICKS, stop_process_group, wait_until_answering, wrk
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

PROTOCOLS = ("uvicorn", "one-write")
#: An interim answer ("100 Continue") goes out at once: the client waits for it before its body.
INTERIM_ANSWER = b"HTTP/1.1 1"


class HeldHead:
    """A transport that holds an answer's first write (its head) until the next one (its body) and
    sends both in one write; everything else is the transport's own."""

    def __init__(self, transport: asyncio.Transport) -> None:
        self._transport = transport
        self._held: bytes | None = None
        self._hold_next = True

    def write(self, data: bytes) -> None:
        if self._held is not None:
            held, self._held = self._held, None
            self._transport.write(held + data)
        elif self._hold_next and not data.startswith(INTERIM_ANSWER):
            self._hold_next, self._held = False, bytes(data)
        else:
            self._transport.write(data)

    def answer_complete(self) -> None:
        """Sends what is held (an answer without a body: HEAD); the next write is the next head."""
        held, self._held, self._hold_next = self._held, None, True
        if held and not self._transport.is_closing():
            self._transport.write(held)

    def close(self) -> None:
        self.answer_complete()
        self._transport.close()

    def __getattr__(self, name: str) -> Any:
        return getattr(self._transport, name)


class OneWriteProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol over :class:`HeldHead`."""

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        self.writes = HeldHead(transport)
        super().connection_made(cast(asyncio.Transport, self.writes))

    def on_response_complete(self) -> None:
        self.writes.answer_complete()  # before a pipelined request's answer can start
        super().on_response_complete()


def serve(protocol: str, port: int) -> None:
    """The server process: ``GET /status?size=N`` answers N bytes of JSON (built once per size)."""
    import uvicorn
    from fastapi import FastAPI, Response

    app = FastAPI()
    bodies: dict[int, bytes] = {}

    @app.get("/status")
    async def status(size: int = 400) -> Response:
        body = bodies.get(size) or bodies.setdefault(size, json.dumps({"x": "a" * max(0, size - 8)}).encode())
        return Response(body, media_type="application/json")

    http: Any = OneWriteProtocol if protocol == "one-write" else "httptools"
    uvicorn.run(app, host="127.0.0.1", port=port, http=http, loop="uvloop", log_level="warning", access_log=False)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def cpu_seconds(pid: int) -> float:
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--seconds", type=float, default=3)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--sizes", type=int, nargs="+", default=[400, 7000])
    parser.add_argument("--out", type=Path, default=HERE / "results" / "serving.json")
    args = parser.parse_args()

    servers = {}
    for protocol in PROTOCOLS:
        port = free_port()
        log = Path(f"/tmp/learnflow-serving-{protocol}.log")
        process = subprocess.Popen(
            [sys.executable, __file__, "--serve", protocol, str(port)],
            stdout=log.open("wb"),
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        servers[protocol] = (process, port)
        wait_until_answering(f"http://127.0.0.1:{port}/status", process, f"the {protocol} server", log)
    points: list[dict[str, Any]] = []
    try:
        for size in args.sizes:
            answers = {httpx.get(f"http://127.0.0.1:{port}/status?size={size}").content for _, port in servers.values()}
            if len(answers) != 1:
                raise SystemExit(f"the two protocols answered {size} bytes differently")
        for size in args.sizes:
            for clients in args.clients:
                for round_ in range(args.rounds):
                    order = PROTOCOLS if round_ % 2 == 0 else PROTOCOLS[::-1]
                    for protocol in order:
                        points.append(measure(protocol, *servers[protocol], size, clients, args.seconds, round_))
    finally:
        for process, _port in servers.values():
            stop_process_group(process)
    summary = summarise(points)
    args.out.write_text(json.dumps({"points": points, "summary": summary}, indent=1) + "\n")
    print(f"written: {args.out}")


def measure(
    protocol: str, process: subprocess.Popen[bytes], port: int, size: int, clients: int, seconds: float, round_: int
) -> dict[str, Any]:
    url = f"http://127.0.0.1:{port}"
    # wrk's status mode asks GET /status?learner_id=<prefix>-l<n>: the prefix carries the size
    prefix = f"x&size={size}&learner="
    wrk(url, "status", "warm", prefix, 64, "0", clients, 1, "t")
    server_before, client_before = cpu_seconds(process.pid), children_cpu()
    point = wrk(url, "status", "run", prefix, 64, "0", clients, seconds, "t")
    server_cpu, client_cpu = cpu_seconds(process.pid) - server_before, children_cpu() - client_before
    requests = max(1, point["requests"])
    result = {
        "protocol": protocol,
        "answer_bytes": size,
        "clients": clients,
        "round": round_,
        "throughput_rps": point["throughput_rps"],
        "p50_ms": point["p50_ms"],
        "p99_ms": point["p99_ms"],
        "errors": point["errors"],
        "server_cpu_us_per_request": round(server_cpu / requests * 1e6, 1),
        "client_cpu_us_per_request": round(client_cpu / requests * 1e6, 1),
    }
    print(
        f"{protocol:9} {size:6d} B  c={clients:<3d} round {round_}: {result['throughput_rps']:8.1f} req/s  "
        f"p50 {result['p50_ms']:6.3f} ms  server CPU {result['server_cpu_us_per_request']:6.1f} us  "
        f"client CPU {result['client_cpu_us_per_request']:6.1f} us  errors {result['errors']}",
        flush=True,
    )
    time.sleep(0.2)
    return result


def summarise(points: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """Per size and clients, the median of each protocol's rounds and one write / uvicorn's."""
    rows = []
    for size in sorted({p["answer_bytes"] for p in points}):
        for clients in sorted({p["clients"] for p in points}):
            row: dict[str, Any] = {"answer_bytes": size, "clients": clients}
            for figure in ("throughput_rps", "p50_ms", "server_cpu_us_per_request", "client_cpu_us_per_request"):
                medians = {
                    protocol: round(
                        statistics.median(
                            p[figure]
                            for p in points
                            if (p["protocol"], p["answer_bytes"], p["clients"]) == (protocol, size, clients)
                        ),
                        3,
                    )
                    for protocol in PROTOCOLS
                }
                row[figure] = medians
                row[f"{figure}_ratio"] = (
                    round(medians["one-write"] / medians["uvicorn"], 3) if medians["uvicorn"] else None
                )
            rows.append(row)
            cpu = row["server_cpu_us_per_request"]
            print(
                f"{size:6d} B c={clients:<3d} one write / uvicorn's (medians): "
                f"throughput {row['throughput_rps_ratio']}x, p50 {row['p50_ms_ratio']}x, "
                f"server CPU {row['server_cpu_us_per_request_ratio']}x ({cpu['uvicorn']} -> {cpu['one-write']} us), "
                f"client CPU {row['client_cpu_us_per_request_ratio']}x"
            )
    return rows


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--serve":
        serve(sys.argv[2], int(sys.argv[3]))
    else:
        main()
