"""Where the time of POST /update-progress goes (issue 10): run against a running stack, reports only.

    .venv/bin/python benchmarks/profile_ours.py [--seconds 20 --clients 32]

1. Sidecar round trips per update: sequential updates of one existing learner (then of new
   learners), the difference of both daprd's Prometheus counters (metrics ports of dapr.yaml)
   divided by the updates: each API call the app made to its sidecar, each call a sidecar made to its
   app, each state store and pub/sub operation, each actor and reminder call.
2. Under load (wrk, ``--clients`` clients spread over 64 learners): py-spy (``record --nonblocking
   --format raw``) on the user-progress and course-agent app processes, the CPU every process used
   (/proc), and the daprd counters again.

Writes benchmarks/results/profile.json and the collapsed stacks pyspy-<app>.txt.gz (gunzip, then open
them with speedscope or flamegraph.pl); benchmarks/results/PROFILE.md is written from them by hand.
"""

from __future__ import annotations

import argparse
import gzip
import json
import re
import shutil
import subprocess
import sys
import time
import uuid
from collections import Counter
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import yaml
from harness import operator_headers, running_stack
from loadgen import HERE, Sampler, stack_pids, wrk

RESULTS = HERE / "results"
METRIC_LINE = re.compile(r"^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{[^}]*\})?\s+([-+0-9.eEinfNa]+)$")
#: Histogram buckets say little here and are many: only counts and sums are kept.
SKIP = ("_bucket",)


def metrics_ports() -> dict[str, int]:
    spec = yaml.safe_load((HERE.parent / "dapr.yaml").read_text())
    return {app["appID"]: int(app["metricsPort"]) for app in spec["apps"]}


def scrape(port: int) -> dict[str, float]:
    text = httpx.get(f"http://127.0.0.1:{port}/metrics", timeout=10).text
    values: dict[str, float] = {}
    for line in text.splitlines():
        match = METRIC_LINE.match(line)
        if match and not match.group(1).endswith(SKIP) and not match.group(1).startswith(("go_", "process_")):
            values[match.group(1) + (match.group(2) or "")] = float(match.group(3))
    return values


def scrape_all(ports: dict[str, int]) -> dict[str, dict[str, float]]:
    return {app: scrape(port) for app, port in ports.items()}


def per_update(
    before: dict[str, dict[str, float]], after: dict[str, dict[str, float]], updates: int
) -> dict[str, dict[str, float]]:
    """Counter increments per update; for latency histograms also the mean (``_sum`` / ``_count``)."""
    out: dict[str, dict[str, float]] = {}
    for app, values in after.items():
        diffs = {key: value - before[app].get(key, 0.0) for key, value in values.items()}
        rows: dict[str, float] = {}
        for key, diff in diffs.items():
            name, labels = key.split("{")[0], key[len(key.split("{")[0]) :]
            if diff <= 0 or name.endswith("_sum"):
                continue
            rows[key] = round(diff / updates, 3)
            sum_key = f"{name[:-6]}_sum{labels}"
            if name.endswith("_count") and sum_key in diffs:
                rows[f"{name[:-6]}_mean{labels}"] = round(diffs[sum_key] / diff, 2)
        out[app] = dict(sorted(rows.items()))
    return out


PG_COUNTERS = """
SELECT 'transactions committed' AS what, xact_commit AS value FROM pg_stat_database WHERE datname = current_database()
UNION ALL SELECT 'rows fetched', tup_fetched FROM pg_stat_database WHERE datname = current_database()
UNION ALL SELECT relname || ' ' || kind, value FROM pg_stat_user_tables,
  LATERAL (VALUES ('index scans', idx_scan), ('rows inserted', n_tup_ins), ('rows updated', n_tup_upd),
                  ('rows deleted', n_tup_del)) AS counters(kind, value)
  WHERE relname = 'state'
"""


def pg_counters(dsn: str) -> dict[str, float]:
    """PostgreSQL's own counters: what the state store did, whoever asked (flushed within ~1 s)."""
    import psycopg

    with psycopg.connect(dsn, autocommit=True) as connection:
        connection.execute("SELECT pg_stat_force_next_flush()")
        return {str(what): float(value or 0) for what, value in connection.execute(PG_COUNTERS).fetchall()}


def sequential_updates(url: str, learners: list[str], run_id: str, auth: dict[str, str]) -> int:
    with httpx.Client(timeout=30, headers=auth) as client:
        for number, learner in enumerate(learners):
            when = (datetime.now(UTC) - timedelta(minutes=1)).isoformat()  # in time order, as a learner's are
            body = {
                "event_id": f"{run_id}-{number}-{uuid.uuid4().hex[:6]}",
                "learner_id": learner,
                "activity": ("lesson", "exercise", "quiz", "review")[number % 4],
                "topic": ("variables", "loops", "functions")[number % 3],
                "score": 60 + number % 40,
                "completed_at": when,
            }
            client.post(f"{url}/update-progress", json=body).raise_for_status()
    return len(learners)


def round_trips(
    url: str, dsn: str, ports: dict[str, int], run_id: str, count: int, auth: dict[str, str]
) -> dict[str, Any]:
    """Counters per update: the daprd ones, and PostgreSQL's (the ``state`` table: the services' and
    their consumers' state; the leaderboard and the Course Agent projection are included)."""
    existing = f"{run_id}-rt-existing"
    result: dict[str, Any] = {}
    sequential_updates(url, [existing] * 3, f"{run_id}-rtw", auth)  # the learner exists, its reminder is registered
    for label, learners in (
        ("existing_learner", [existing] * count),
        ("new_learner", [f"{run_id}-rt-new-{n}" for n in range(count // 2)]),
    ):
        time.sleep(3)
        before, pg_before = scrape_all(ports), pg_counters(dsn)
        started = time.monotonic()
        updates = sequential_updates(url, learners, f"{run_id}-{label}", auth)
        elapsed = time.monotonic() - started
        time.sleep(3)  # the consumers (leaderboard, Course Agent projection) finish
        pg_after = pg_counters(dsn)
        result[label] = {
            "updates": updates,
            "mean_answer_ms": round(1000 * elapsed / updates, 1),
            "postgres_per_update": {k: round((pg_after[k] - pg_before.get(k, 0)) / updates, 2) for k in pg_after},
            "daprd_per_update": per_update(before, scrape_all(ports), updates),
        }
    return result


FRAME = re.compile(r"^(?P<function>.*?) \((?P<file>[^()]*?)(?::(?P<line>\d+))?\)$")


def _frame_name(frame: str) -> str:
    match = FRAME.match(frame)
    if not match:
        return frame
    file = match.group("file")
    for marker in ("site-packages/", "/src/", "lib/python3.11/"):
        if marker in file:
            file = file.split(marker, 1)[1]
            break
    return f"{match.group('function')} ({file})"


#: Where the app's CPU goes, by what the stack passes through (a sample may be in several).
BUCKETS = {
    "actor state calls: SDK HTTP client (aiohttp, a new session per call)": r"DaprHttpClient\.send_bytes",
    "  of which opening a new TCP connection": r"TCPConnector\._create_direct_connection",
    "calls to the sidecar through httpx (learnflow_common DaprSidecar)": r"DaprSidecar\._request",
    "  of which API -> actor invocation": r"DaprSidecar\.invoke_actor",
    "  of which publishing the outbox": r"DaprSidecar\.publish",
    "failed `import sniffio` on every httpx request (httpcore)": r"current_async_library \(httpcore",
    "ledger.record (domain rules + its state reads)": r"record \(user_progress/ledger\.py",
    "progress-events consumer (leaderboard)": r"user_progress/api/events|[Ll]eaderboard",
    "building the answer (status_of)": r"status_of",
    "building the CloudEvents": r"progress_events \(user_progress",
    "logging (httpx logs every request at INFO)": r"logging/__init__",
    "json encode/decode": r"json/encoder|json/decoder",
    "pydantic": r"pydantic",
}


def buckets(lines: list[str]) -> list[tuple[str, float]]:
    patterns = {name: re.compile(pattern) for name, pattern in BUCKETS.items()}
    counts: Counter[str] = Counter()
    total = 0
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not count_text.isdigit():
            continue
        total += int(count_text)
        for name, pattern in patterns.items():
            if pattern.search(stack):
                counts[name] += int(count_text)
    return [(name, round(100 * counts[name] / total, 1) if total else 0.0) for name in BUCKETS]


def summarise_stacks(path: Path, rate: int, seconds: float) -> dict[str, Any]:
    """Self and inclusive samples per function of py-spy's collapsed stacks (the main thread and
    any other thread holding the CPU; idle samples are not recorded)."""
    self_samples: Counter[str] = Counter()
    inclusive: Counter[str] = Counter()
    packages: Counter[str] = Counter()
    total = 0
    lines = (gzip.decompress(path.read_bytes()).decode() if path.suffix == ".gz" else path.read_text()).splitlines()
    for line in lines:
        stack, _, count_text = line.rpartition(" ")
        if not stack or not count_text.isdigit():
            continue
        count = int(count_text)
        frames = [_frame_name(frame) for frame in stack.split(";")[1:]]  # the first is the thread
        if not frames:
            continue
        total += count
        self_samples[frames[-1]] += count
        for name in set(frames):
            inclusive[name] += count
        leaf_file = frames[-1].rsplit("(", 1)[-1].rstrip(")")
        packages[leaf_file.split("/")[0].split(".")[0]] += count
    expected = rate * seconds
    return {
        "samples": total,
        "busy_share_of_one_core": round(total / expected, 2) if expected else None,
        "self_top": [(name, count, round(100 * count / total, 1)) for name, count in self_samples.most_common(30)],
        "inclusive_top": [(name, count, round(100 * count / total, 1)) for name, count in inclusive.most_common(60)],
        "self_by_package": [(name, count, round(100 * count / total, 1)) for name, count in packages.most_common(20)],
        "buckets_percent": buckets(lines),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=20)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rate", type=int, default=100, help="py-spy samples per second")
    parser.add_argument("--round-trip-updates", type=int, default=40)
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--summarise", action="store_true", help="only summarise the stored pyspy-*.txt.gz again")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.summarise:
        report = json.loads((args.out / "profile.json").read_text())
        seconds = report["load"]["wrk"]["seconds"]
        for app in report["py_spy"]:
            path = args.out / f"pyspy-{app}.txt.gz"
            report["py_spy"][app] = summarise_stacks(path, args.rate, int(seconds) - 2)
            print(app, json.dumps(report["py_spy"][app]["buckets_percent"], indent=1))
        (args.out / "profile.json").write_text(json.dumps(report, indent=1) + "\n")
        return
    info = running_stack()
    pids = stack_pids(info)
    ports = metrics_ports()
    url = info["apps"]["user-progress"]["app_url"]
    auth = operator_headers(info)
    token = auth["Authorization"].removeprefix("Bearer ")
    run_id = f"prof{uuid.uuid4().hex[:6]}"
    report: dict[str, Any] = {"started_at": datetime.now(UTC).isoformat(timespec="seconds")}

    report["round_trips"] = round_trips(url, info["postgres_dsn"], ports, run_id, args.round_trip_updates, auth)
    for label, figures in report["round_trips"].items():
        print(f"{label}: mean answer {figures['mean_answer_ms']} ms; PostgreSQL per update:")
        print(f"  {figures['postgres_per_update']}", flush=True)

    py_spy = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    # the measured events after the warm-up's, in time order (see compare.measure)
    start = int((datetime.now(UTC) - timedelta(days=29)).timestamp())
    when = str(start + 4 * 86400)
    prefix = f"{run_id}-load"
    wrk(url, "update", f"{run_id}-w", prefix, 64, str(start), args.clients, 3, token)
    before = scrape_all(ports)
    profiled = {"user-progress": pids["user-progress"], "course-agent": pids["course-agent"]}
    spies = {
        app: subprocess.Popen(
            [
                py_spy,
                "record",
                "--pid",
                str(pid),
                "--duration",
                str(int(args.seconds) - 2),
                "--rate",
                str(args.rate),
                "--nonblocking",
                "--format",
                "raw",
                "--output",
                str(args.out / f"pyspy-{app}.txt"),
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        for app, pid in profiled.items()
    }
    with Sampler(dict(pids)) as sampler:
        load = wrk(url, "update", f"{run_id}-m", prefix, 64, when, args.clients, args.seconds, token)
    for app, spy in spies.items():
        _, errors = spy.communicate(timeout=60)
        if spy.returncode:
            print(f"py-spy on {app} failed: {errors.decode()[-2000:]}", file=sys.stderr)
    time.sleep(3)
    report["load"] = {
        "clients": args.clients,
        "wrk": load,
        "cpu_cores": sampler.cpu_share(),
        "cpu_seconds": sampler.cpu_seconds,
        "daprd_per_update": per_update(before, scrape_all(ports), load["requests"]),
    }
    report["py_spy"] = {
        app: summarise_stacks(args.out / f"pyspy-{app}.txt", args.rate, int(args.seconds) - 2)
        for app in profiled
        if (args.out / f"pyspy-{app}.txt").exists()
    }
    (args.out / "profile.json").write_text(json.dumps(report, indent=1) + "\n")
    for app in profiled:  # the collapsed stacks are ~1 MB of text: kept compressed
        raw = args.out / f"pyspy-{app}.txt"
        if raw.exists():
            (args.out / f"pyspy-{app}.txt.gz").write_bytes(gzip.compress(raw.read_bytes()))
            raw.unlink()
    print("load:", json.dumps({k: v for k, v in report["load"].items() if k != "per_update"}, indent=1))
    for app, summary in report["py_spy"].items():
        print(f"py-spy {app}: {summary['samples']} samples, busy {summary['busy_share_of_one_core']} of a core")
        for name, count, share in summary["self_top"][:15]:
            print(f"  {share:5.1f}% {count:6d} {name}")
    print(f"written: {args.out}/profile.json, pyspy-*.txt.gz")


if __name__ == "__main__":
    main()
