"""What Python's garbage collector costs both apps under updates (issue 10): reports figures, asserts
nothing. Run against a running stack (``make up``):

    .venv/bin/python benchmarks/gc_pauses.py [--seconds 12 --clients 1 32]

For each point (updates spread over 64 new learners, ``wrk``), the apps' own pause histograms
(``learnflow_gc_pause_seconds`` on ``GET /metrics``, ``learnflow_common.collector``) are read before
and after: collections per generation, the collector's time per update, and the bucket of the longest
pause, beside the app's whole CPU per update. Compare the apps' setting (``GC_FREEZE_AT_START``,
``GC_YOUNG_THRESHOLD``) with Python's own by starting a stack with
``GC_FREEZE_AT_START=false GC_YOUNG_THRESHOLD=0 make up`` for the other half
(benchmarks/results/PROFILE.md, "Phase 20").
"""

from __future__ import annotations

import argparse
import json
import re
import uuid
from collections import defaultdict
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


def read_pauses(url: str, headers: dict[str, str]) -> dict[str, dict[str, Any]]:
    """Per generation: ``count``, ``sum`` (s) and ``buckets`` (upper bound -> collections within)."""
    found: dict[str, dict[str, Any]] = defaultdict(lambda: {"buckets": {}})
    for line in httpx.get(f"{url}/metrics", headers=headers, timeout=10).text.splitlines():
        if match := SAMPLE.match(line):
            kind, generation, bound, value = match.groups()
            if kind == "bucket":
                found[generation]["buckets"][bound] = float(value)
            else:
                found[generation][kind] = float(value)
    return dict(found)


def difference(before: dict[str, dict[str, Any]], after: dict[str, dict[str, Any]], updates: int) -> dict[str, Any]:
    """The point's collections: how many per generation, ms per update, the longest pause's bucket."""
    per_generation = {}
    longest = "0"
    for generation, values in after.items():
        was = before.get(generation, {"count": 0.0, "sum": 0.0, "buckets": {}})
        count = values["count"] - was["count"]
        per_generation[generation] = {"collections": int(count), "ms": round((values["sum"] - was["sum"]) * 1000, 1)}
        if count:  # buckets are cumulative: the smallest bound that took every new pause bounds the longest
            new = {bound: total - was["buckets"].get(bound, 0.0) for bound, total in values["buckets"].items()}
            bound = min((bound for bound, taken in new.items() if taken == count), key=float)
            longest = max(longest, bound, key=float)
    total_ms = sum(values["ms"] for values in per_generation.values())
    return {
        "generations": per_generation,
        "gc_ms_per_update": round(total_ms / updates, 3) if updates else None,
        "longest_pause_at_most_s": longest,
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=12)
    parser.add_argument("--warmup", type=float, default=2)
    parser.add_argument("--clients", type=int, nargs="+", default=[1, 32])
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    info = running_stack()
    headers = operator_headers(info)
    token = headers["Authorization"].removeprefix("Bearer ")
    urls = {app: info["apps"][app]["app_url"] for app in APPS}
    named = stack_pids(info)
    points = []
    for clients in args.clients:
        run_id = f"gc{uuid.uuid4().hex[:6]}"
        before = {app: read_pauses(url, headers) for app, url in urls.items()}
        options = argparse.Namespace(seconds=args.seconds, warmup=args.warmup, kafka_bootstrap=info["kafka_bootstrap"])
        url = urls["user-progress"]
        point = measure(url, "update", f"{run_id}-ours", LEARNERS, clients, options, named, run_id, token)
        # the warm-up's updates are in the counters too
        updates = point["requests"] + round(point["throughput_rps"] * args.warmup)
        after = {app: read_pauses(url, headers) for app, url in urls.items()}
        row = {
            "clients": clients,
            "throughput_rps": point["throughput_rps"],
            "p50_ms": point["p50_ms"],
            "p99_ms": point["p99_ms"],
            "max_ms": point["max_ms"],
            "apps": {app: difference(before[app], after[app], updates) for app in APPS},
        }
        for app in APPS:  # the app's whole CPU per update, the collector's share of it above
            row["apps"][app]["cpu_ms_per_update"] = round(
                point["cpu_cores"].get(app, 0.0) / point["throughput_rps"] * 1000, 2
            )
        points.append(row)
        apps = "; ".join(
            f"{app}: CPU {figures['cpu_ms_per_update']} ms/update, GC {figures['gc_ms_per_update']}, "
            f"longest <= {figures['longest_pause_at_most_s']} s, "
            + ", ".join(f"gen{g} {v['collections']}x {v['ms']} ms" for g, v in sorted(figures["generations"].items()))
            for app, figures in row["apps"].items()
        )
        print(
            f"{clients:>2} clients: {row['throughput_rps']:7.1f} req/s p50 {row['p50_ms']} p99 {row['p99_ms']} "
            f"max {row['max_ms']} ms | {apps}",
            flush=True,
        )
    args.out.parent.mkdir(parents=True, exist_ok=True)
    args.out.write_text(json.dumps({"points": points}, indent=2) + "\n")
    print(f"wrote {args.out}")


if __name__ == "__main__":
    main()
