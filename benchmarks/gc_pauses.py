"""What Python's garbage collector costs both apps under updates (issue 10): reports figures, asserts
nothing. Run against a running stack (``make up``):

    .venv/bin/python benchmarks/gc_pauses.py [--seconds 12 --clients 1 32]
    .venv/bin/python benchmarks/gc_pauses.py --ab 2    # no stack running: starts its own, in turn

For each point (updates spread over 64 new learners, ``wrk``), the apps' own pause histograms
(``learnflow_gc_pause_seconds`` on ``GET /metrics``, ``learnflow_common.collector``) are read before
and after, warm-up included: collections per generation, their time per update answered in between,
and the bucket of the longest pause, beside the app's whole CPU per update (measured part) and peak
RSS. ``--ab ROUNDS`` compares the apps' setting
(``GC_FREEZE_AT_START``, ``GC_YOUNG_THRESHOLD``) with Python's own collector in one run: a stack of
each in turn (the order reversed every round), each warmed up by one set of points and measured by the
next, then the ratios round by round (benchmarks/results/PROFILE.md, "Phase 20").
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import uuid
from collections import defaultdict
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
from compare import measure
from harness import operator_headers, running_stack
from loadgen import stack_pids

RESULTS = Path(__file__).parent / "results" / "gc_pauses.json"
APPS = ("user-progress", "course-agent")
SAMPLE = re.compile(r'^learnflow_gc_pause_seconds_(bucket|count|sum)\{generation="(\d)"(?:,le="([^"]+)")?\} (\S+)$')
LEARNERS = 64
#: What each half of ``--ab`` starts its stack with: the apps' own setting, and Python's collector.
SETTINGS: dict[str, dict[str, str]] = {"apps": {}, "python": {"GC_FREEZE_AT_START": "false", "GC_YOUNG_THRESHOLD": "0"}}


def scrape(url: str, headers: dict[str, str]) -> tuple[dict[str, dict[str, Any]], float]:
    """The app's pauses per generation (``count``, ``sum`` in s, ``buckets``: upper bound -> collections
    within) and the updates it has answered (``http_requests_total`` of ``/update-progress``)."""
    found: dict[str, dict[str, Any]] = defaultdict(lambda: {"buckets": {}})
    updates = 0.0
    for line in httpx.get(f"{url}/metrics", headers=headers, timeout=10).text.splitlines():
        if match := SAMPLE.match(line):
            kind, generation, bound, value = match.groups()
            if kind == "bucket":
                found[generation]["buckets"][bound] = float(value)
            else:
                found[generation][kind] = float(value)
        elif line.startswith("http_requests_total{") and 'handler="/update-progress"' in line:
            updates += float(line.rsplit(" ", 1)[1])
    return dict(found), updates


def difference(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], updates: float) -> dict[str, Any]:
    """Between two scrapes: collections and their time per generation, the time per update, and the
    bucket that bounds the longest pause (None without a collection)."""
    per_generation = {}
    seconds = 0.0
    longest: str | None = None
    for generation, values in after.items():
        was = before.get(generation, {"count": 0.0, "sum": 0.0, "buckets": {}})
        count = values["count"] - was["count"]
        spent = values["sum"] - was["sum"]
        seconds += spent
        per_generation[generation] = {"collections": int(count), "ms": round(spent * 1000, 1)}
        if count:  # buckets are cumulative: the smallest bound that took every new pause bounds the longest
            new = {bound: total - was["buckets"].get(bound, 0.0) for bound, total in values["buckets"].items()}
            bound = min((bound for bound, taken in new.items() if taken == count), key=float)
            longest = bound if longest is None else max(longest, bound, key=float)
    return {
        "generations": per_generation,
        "gc_ms_per_update": round(seconds * 1000 / updates, 3) if updates else None,
        "longest_pause_at_most_s": longest,
    }


def measure_points(seconds: float, warmup: float, clients_list: list[int]) -> list[dict[str, Any]]:
    """One point per client count on the running stack, each with the apps' pauses over it."""
    info = running_stack()
    headers = operator_headers(info)
    token = headers["Authorization"].removeprefix("Bearer ")
    urls = {app: info["apps"][app]["app_url"] for app in APPS}
    named = stack_pids(info)
    points = []
    for clients in clients_list:
        run_id = f"gc{uuid.uuid4().hex[:6]}"
        before = {app: scrape(url, headers) for app, url in urls.items()}
        options = argparse.Namespace(seconds=seconds, warmup=warmup, kafka_bootstrap=info["kafka_bootstrap"])
        progress_url = urls["user-progress"]
        point = measure(progress_url, "update", f"{run_id}-ours", LEARNERS, clients, options, named, run_id, token)
        after = {app: scrape(url, headers) for app, url in urls.items()}
        # the collections of the warm-up too, so per update answered between the two scrapes
        updates = after["user-progress"][1] - before["user-progress"][1]
        row = {
            "clients": clients,
            "throughput_rps": point["throughput_rps"],
            "p50_ms": point["p50_ms"],
            "p99_ms": point["p99_ms"],
            "max_ms": point["max_ms"],
            "apps": {app: difference(before[app][0], after[app][0], updates) for app in APPS},
        }
        for app in APPS:  # the app's whole CPU per update over the measured part, and its peak RSS
            row["apps"][app]["cpu_ms_per_update"] = round(
                point["cpu_cores"].get(app, 0.0) / point["throughput_rps"] * 1000, 2
            )
            row["apps"][app]["peak_rss_mb"] = point["peak_rss_mb"].get(app)
        points.append(row)
        apps = "; ".join(
            f"{app}: CPU {figures['cpu_ms_per_update']} ms/update, GC {figures['gc_ms_per_update']}, "
            f"longest <= {figures['longest_pause_at_most_s']} s, RSS {figures['peak_rss_mb']} MB, "
            + ", ".join(f"gen{g} {v['collections']}x {v['ms']} ms" for g, v in sorted(figures["generations"].items()))
            for app, figures in row["apps"].items()
        )
        print(
            f"{clients:>2} clients: {row['throughput_rps']:7.1f} req/s p50 {row['p50_ms']} p99 {row['p99_ms']} "
            f"max {row['max_ms']} ms | {apps}",
            flush=True,
        )
    return points


@contextmanager
def stack_with(settings: dict[str, str]) -> Iterator[None]:
    """A stack of this checkout started with ``settings`` in its environment, stopped after."""
    env = {**os.environ, "TRACE_SAMPLING_RATE": os.environ.get("TRACE_SAMPLING_RATE", "0"), **settings}
    subprocess.run([sys.executable, "-m", "devstack", "up"], env=env, check=True, stdout=subprocess.DEVNULL)
    try:
        yield
    finally:
        subprocess.run([sys.executable, "-m", "devstack", "down"], env=env, check=False, stdout=subprocess.DEVNULL)


def compare_settings(args: argparse.Namespace) -> dict[str, Any]:
    """The apps' setting and Python's own, a stack of each in turn (ABBA...), the same points on each."""
    halves: dict[str, list[list[dict[str, Any]]]] = {label: [] for label in SETTINGS}
    for round_number in range(args.ab):
        order = list(SETTINGS.items()) if round_number % 2 == 0 else list(SETTINGS.items())[::-1]
        for label, settings in order:
            print(f"== round {round_number + 1}: {label} {settings or ''}", flush=True)
            with stack_with(settings):
                measure_points(args.seconds, args.warmup, args.clients)  # the stack warmed up
                halves[label].append(measure_points(args.seconds, args.warmup, args.clients))
    print("\nper round and client count, the apps' setting / Python's:")
    for round_number in range(args.ab):
        for ours, pythons in zip(halves["apps"][round_number], halves["python"][round_number], strict=True):
            cpu = [point["apps"]["user-progress"]["cpu_ms_per_update"] for point in (ours, pythons)]
            print(
                f"round {round_number + 1}, {ours['clients']:>2} clients: req/s "
                f"{ours['throughput_rps'] / pythons['throughput_rps']:.2f}x, "
                f"p99 {ours['p99_ms'] / pythons['p99_ms']:.2f}x, "
                f"max {ours['max_ms'] / pythons['max_ms']:.2f}x, User Progress CPU per update {cpu[0]} / {cpu[1]} ms"
            )
    return halves


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 32])
    parser.add_argument(
        "--ab", type=int, default=0, metavar="ROUNDS", help="start stacks of the apps' setting and of Python's in turn"
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    result: Any = (
        compare_settings(args) if args.ab else {"points": measure_points(args.seconds, args.warmup, args.clients)}
    )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps(result, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
