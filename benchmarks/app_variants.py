"""Variants of the User Progress app side by side on the running stack (issue 10): reports only.

    .venv/bin/python benchmarks/app_variants.py [--mode status|update] [--rounds 4 --seconds 5] \\
        [--clients 1] as-built  quiet:LOG_LEVEL=WARNING  older:PYTHONPATH=/tmp/wt/common/src:/tmp/wt/user-progress/src

Each variant is one more app process, started with the environment of the stack's app (its tokens,
its sidecar's ports) but on a port of its own and with the given variables set: a setting, or with
``PYTHONPATH`` another commit's code (``git worktree add /tmp/wt <commit>``; it runs on the packages
this checkout installed, so a commit with other dependencies needs them installed). All of them talk to the
stack's one sidecar; ``wrk`` loads them in turn (one client unless ``--clients``, 64 learners, rounds
interleaved and their order reversed every other round so a sitting's drift falls on all alike), and
each one's CPU per request is read from ``/proc``, with that of every process of the stack.

- ``status``: the variant does all of ``GET /status``.
- ``update``: the variant does the API's part of ``POST /update-progress`` (parse, token, rate limit,
  the actor call, the status from its answer, the response); the actor runs in the stack's app,
  whose CPU per update is given beside it. Each variant's round updates learners of its own, new
  ones: updates of the learners of a round before would be late events (``completed_at`` starts
  again with every point), each a re-fold. A point starts with the consumers' backlog drained, as
  ``compare.py``'s do.

``make bench-ab`` compares two commits of the whole stack; this compares app code or settings
within one stack, down to tens of microseconds (benchmarks/results/PROFILE.md, "Phase 18").
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from pathlib import Path

from compare import OURS_CONSUMED, SHARED_PROCESSES, SYSTEM_PROCESSES, ensure_learners, measure
from harness import operator_headers, running_stack
from loadgen import stack_pids, stop_process_group, wait_until_answering

FIRST_PORT = 18700
LEARNERS = 64
#: The processes whose CPU "every process" adds up, with the watched ones: ours, PostgreSQL and Kafka.
STACK = (*SYSTEM_PROCESSES["ours"], *SHARED_PROCESSES)


def parse_variant(text: str) -> tuple[str, dict[str, str]]:
    """``name`` or ``name:KEY=VALUE,KEY=VALUE`` (a value may hold ``=`` and ``:``, not ``,``)."""
    name, _, assignments = text.partition(":")
    overrides: dict[str, str] = {}
    for assignment in filter(None, assignments.split(",")):
        key, equals, value = assignment.partition("=")
        if not key or not equals:
            raise ValueError(f"{assignment!r} in {text!r} is not KEY=VALUE")
        overrides[key] = value
    if not name:
        raise ValueError(f"variant {text!r} has no name")
    return name, overrides


def point_learners(mode: str, run_id: str, variant: str, round_number: int) -> str:
    """The prefix of a point's learners: the run's, made known once, for reads; for updates, new ones
    for each variant and round, since every point's ``completed_at`` starts again and updates of
    learners already updated would be late events, each a re-fold."""
    return f"{run_id}-{variant}-r{round_number}" if mode == "update" else run_id


def process_environment(pid: int) -> dict[str, str]:
    entries = Path(f"/proc/{pid}/environ").read_bytes().split(b"\0")
    return dict(entry.decode().split("=", 1) for entry in entries if b"=" in entry)


@contextmanager
def running_variant(base_env: dict[str, str], port: int, overrides: dict[str, str], log: Path) -> Iterator[int]:
    """One more app process answering on ``port``; its pid."""
    env = {**base_env, "APP_PORT": str(port), **overrides}
    with log.open("w") as stderr:
        process = subprocess.Popen(
            [sys.executable, "-m", "user_progress"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=stderr,
            start_new_session=True,
        )
    try:
        wait_until_answering(f"http://127.0.0.1:{port}/healthz", process, f"the variant on port {port}", log)
        yield process.pid
    finally:
        stop_process_group(process)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("variants", nargs="+", help="name[:KEY=VALUE,...]")
    parser.add_argument("--mode", choices=("status", "update"), default="status")
    parser.add_argument("--rounds", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=5)
    parser.add_argument("--clients", type=int, default=1)
    parser.add_argument("--warmup", type=float, default=1.5)
    parser.add_argument("--logs", type=Path, default=Path("/tmp"), help="where each variant's stderr goes")
    args = parser.parse_args()
    variants = dict(parse_variant(text) for text in args.variants)

    info = running_stack()
    auth = operator_headers(info)
    token = auth["Authorization"].removeprefix("Bearer ")
    stack = stack_pids(info)
    base_env = process_environment(stack["user-progress"])
    run_id = f"var{uuid.uuid4().hex[:6]}"
    if args.mode == "status":
        ensure_learners(info["apps"]["user-progress"]["app_url"], run_id, LEARNERS, run_id, auth)
    point_args = argparse.Namespace(seconds=args.seconds, warmup=args.warmup, kafka_bootstrap=info["kafka_bootstrap"])
    figures: dict[str, list[tuple[float, float, dict[str, float]]]] = {name: [] for name in variants}
    with ExitStack() as running:
        pids = {
            name: running.enter_context(
                running_variant(base_env, FIRST_PORT + number, overrides, args.logs / f"app-variant-{name}.log")
            )
            for number, (name, overrides) in enumerate(variants.items())
        }
        ports = {name: FIRST_PORT + number for number, name in enumerate(variants)}
        for round_number in range(args.rounds):
            for name in variants if round_number % 2 == 0 else reversed(variants):
                watched = {
                    "variant": pids[name],
                    "sidecar": stack["user-progress-daprd"],
                    "stack's app": stack["user-progress"],
                }
                url = f"http://127.0.0.1:{ports[name]}"
                consumers = OURS_CONSUMED if args.mode == "update" else None
                learners = point_learners(args.mode, run_id, name, round_number)
                named = {**stack, **watched}
                point = measure(
                    url, args.mode, learners, LEARNERS, args.clients, point_args, named, run_id, token, consumers
                )
                per_request = {
                    process: cores / point["throughput_rps"] * 1000 for process, cores in point["cpu_cores"].items()
                }
                cpu = {process: round(ms, 3) for process, ms in per_request.items() if process in watched}
                cpu["every process"] = round(
                    sum(ms for process, ms in per_request.items() if process in STACK or process in watched), 3
                )
                figures[name].append((point["p50_ms"], point["throughput_rps"], cpu))
                print(
                    f"{name} round {round_number}: p50 {point['p50_ms']} ms, {point['throughput_rps']} req/s, "
                    f"CPU ms per request {cpu}",
                    flush=True,
                )
    print(f"\n{args.mode}, {args.clients} client(s), median (best) of {args.rounds} rounds:")
    for name, rounds in figures.items():
        p50s = [p50 for p50, _, _ in rounds]
        throughputs = [rps for _, rps, _ in rounds]
        variant_cpu = [cpu.get("variant", float("nan")) for _, _, cpu in rounds]
        every_cpu = [cpu["every process"] for _, _, cpu in rounds]
        print(
            f"  {name}: p50 {statistics.median(p50s):.3f} ({min(p50s):.3f}) ms, "
            f"{statistics.median(throughputs):.1f} ({max(throughputs):.1f}) req/s, "
            f"its CPU {statistics.median(variant_cpu):.3f} ({min(variant_cpu):.3f}) ms per request, "
            f"every process's {statistics.median(every_cpu):.3f} ({min(every_cpu):.3f})"
        )


if __name__ == "__main__":
    main()
