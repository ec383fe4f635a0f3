"""Where each sidecar's CPU goes, by area, from Go's own profiler (issue 10). Reports figures; asserts nothing.

    DAPR_PROFILING=1 make up      # or `make bench`, which starts its stack so
    .venv/bin/python benchmarks/daprd_profile.py [--seconds 10]

A third of the CPU an update costs is spent in the two daprd processes, and py-spy cannot see into
them. Each sidecar of a stack started with ``DAPR_PROFILING=1`` serves Go's pprof on 127.0.0.1 (its
``profilePort`` in dapr.yaml). For each scenario, at one client (wrk, as compare.py) after a warm-up:

- ``status``: GET /status of 64 learners;
- ``update``: POST /update-progress over 64 learners (the Course Agent's sidecar delivers the
  events to its projection meanwhile).

Both sidecars are profiled (``/debug/pprof/profile``) while the load runs and their CPU is read from
/proc. Each sampled stack counts for the first area (``AREAS``) that its innermost frames name, read
from the leaf towards the root (``go tool pprof -traces``; Go is a system dependency of ``make
deps``), so a state store call made inside the HTTP server's middleware counts for the state store.
An area's share of the samples times the sidecar's CPU per request gives its milliseconds per
request. Writes benchmarks/results/daprd_profile.json and each profile (``daprd-<app>-<scenario>.pprof``:
``go tool pprof -top`` or ``-http`` reads it).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import threading
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from compare import ensure_learners
from harness import operator_headers, running_stack
from loadgen import HERE, Sampler, machine, stack_pids, wrk

RESULTS = HERE / "results"
LEARNERS = 64
#: What a sample counts for: the first area, from the innermost frame out, one of whose texts a
#: frame contains. Frames of the HTTP metrics middleware wrap every request the API serves, so they
#: name nothing (``WRAPPERS``); the metrics' own recording is named by OpenCensus's frames.
AREAS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (
        "Go garbage collector",
        ("runtime.gcBgMarkWorker", "runtime.bgsweep", "runtime.bgscavenge", "runtime.gcAssistAlloc"),
    ),
    ("metrics (OpenCensus)", ("go.opencensus.io", "dapr/pkg/diagnostics.")),
    ("resiliency policies", ("dapr/pkg/resiliency.",)),
    ("JSON (encoding/json)", ("encoding/json.",)),
    ("Kafka client (sarama)", ("IBM/sarama",)),
    ("PostgreSQL state store (pgx)", ("jackc/pgx", "component/postgresql", "state/postgresql")),
    ("gRPC (placement, scheduler)", ("google.golang.org/grpc",)),
    ("HTTP calls into the app", ("net/http.(*persistConn)", "net/http.(*Transport)", "net/http.(*Client)")),
    ("actors (router, placement table, reminders)", ("dapr/pkg/actors",)),
    ("HTTP API server (read, route, write)", ("net/http.(*conn).serve",)),
    (
        "Go scheduler, timers, network poller",
        ("runtime.schedule", "runtime.findRunnable", "runtime.mcall", "runtime.sysmon"),
    ),
)
WRAPPERS = ("HTTPMiddleware",)
OTHER = "other"
_SAMPLE = re.compile(r"\s*([\d.]+)(s|ms|us|ns)\s+(\S.*)")
_UNIT = {"s": 1.0, "ms": 1e-3, "us": 1e-6, "ns": 1e-9}


def area_of(frames: list[str]) -> str:
    """The area a sampled stack counts for; ``frames`` from the innermost out."""
    for frame in frames:
        if any(wrapper in frame for wrapper in WRAPPERS):
            continue
        for area, texts in AREAS:
            if any(text in frame for text in texts):
                return area
    return OTHER


def seconds_by_area(traces: str) -> Counter[str]:
    """CPU seconds per area of a ``go tool pprof -traces`` listing (one block per distinct stack:
    its seconds and innermost frame on the first line, the callers below)."""
    spent: Counter[str] = Counter()
    for block in traces.split("-----------+")[1:]:
        lines = [line.strip() for line in block.splitlines()[1:] if line.strip()]
        first = _SAMPLE.match(lines[0]) if lines else None
        if first is None:
            continue
        value, unit, leaf = first.groups()
        spent[area_of([leaf, *lines[1:]])] += float(value) * _UNIT[unit]
    return spent


def _profile(url: str, seconds: int, into: Path, done: dict[str, bool]) -> None:
    answer = httpx.get(f"{url}/debug/pprof/profile", params={"seconds": seconds}, timeout=seconds + 30)
    answer.raise_for_status()
    into.write_bytes(answer.content)
    done[url] = True


def run_scenario(info: dict[str, Any], token: str, mode: str, seconds: int, run_id: str) -> dict[str, Any]:
    up = info["apps"]["user-progress"]["app_url"]
    prefix = f"{run_id}-{mode}"
    if mode == "status":
        ensure_learners(up, prefix, LEARNERS, run_id, operator_headers(info))
    start = int((datetime.now(UTC) - timedelta(days=29)).timestamp())
    wrk(up, mode, f"{run_id}-w-{mode}", prefix, LEARNERS, str(start), 1, 2, token)
    sidecars = {app: spec["profile_url"] for app, spec in info["apps"].items()}
    files = {app: RESULTS / f"daprd-{app}-{mode}.pprof" for app in sidecars}
    done: dict[str, bool] = {}
    profilers = [
        threading.Thread(target=_profile, args=(url, seconds, files[app], done)) for app, url in sidecars.items()
    ]
    names = {name: pid for name, pid in stack_pids(info).items() if name.endswith("-daprd")}
    with Sampler(names) as sampler:
        for profiler in profilers:
            profiler.start()
        load = wrk(up, mode, f"{run_id}-m-{mode}", prefix, LEARNERS, str(start + 4 * 86400), 1, seconds + 1, token)
        for profiler in profilers:
            profiler.join()
    if len(done) != len(sidecars):
        raise SystemExit(f"a sidecar's profile was not read: {sorted(set(sidecars.values()) - set(done))}")
    requests = max(load["requests"] - load["errors"], 1)
    report: dict[str, Any] = {"requests_per_second": load["throughput_rps"], "p50_ms": load["p50_ms"], "sidecars": {}}
    for app, path in files.items():
        traces = subprocess.run(
            ["go", "tool", "pprof", "-traces", str(path)], capture_output=True, text=True, check=True
        )
        spent = seconds_by_area(traces.stdout)
        sampled = sum(spent.values()) or 1.0
        cpu_ms = 1000 * sampler.cpu_seconds.get(f"{app}-daprd", 0.0) / requests
        report["sidecars"][app] = {
            "cpu_ms_per_request": round(cpu_ms, 3),
            "areas_ms_per_request": {area: round(cpu_ms * value / sampled, 3) for area, value in spent.most_common()},
        }
    return report


def print_report(report: dict[str, Any]) -> None:
    for mode, scenario in report["scenarios"].items():
        print(f"\n{mode} at 1 client: {scenario['requests_per_second']} req/s, p50 {scenario['p50_ms']} ms")
        for app, sidecar in scenario["sidecars"].items():
            print(f"  {app} sidecar: {sidecar['cpu_ms_per_request']:.3f} ms of CPU per request")
            for area, ms in sidecar["areas_ms_per_request"].items():
                share = ms / sidecar["cpu_ms_per_request"] if sidecar["cpu_ms_per_request"] else 0.0
                print(f"    {ms:7.3f} ms  {share:4.0%}  {area}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=int, default=10, help="profiled seconds per scenario")
    args = parser.parse_args()
    info = running_stack()
    if not all(spec.get("profile_url") for spec in info["apps"].values()):
        print(
            "daprd_profile: the running stack's sidecars serve no profiles; `make down`, then "
            "`DAPR_PROFILING=1 make up` (or `make bench`, which starts its stack so). Nothing measured."
        )
        return
    if shutil.which("go") is None:
        raise SystemExit("daprd_profile: `go` is not on PATH (make system-deps installs it)")
    RESULTS.mkdir(parents=True, exist_ok=True)
    token = operator_headers(info)["Authorization"].removeprefix("Bearer ")
    run_id = f"prof{uuid.uuid4().hex[:6]}"
    scenarios = {mode: run_scenario(info, token, mode, args.seconds, run_id) for mode in ("status", "update")}
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": machine(),
        "seconds": args.seconds,
        "scenarios": scenarios,
    }
    (RESULTS / "daprd_profile.json").write_text(json.dumps(report, indent=2) + "\n")
    print_report(report)
    print(f"\nwritten: {RESULTS}/daprd_profile.json, daprd-<app>-<scenario>.pprof")


if __name__ == "__main__":
    main()
