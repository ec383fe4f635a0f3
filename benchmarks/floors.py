"""What a design on Dapr's state and pub/sub APIs can reach, by its consumers and their batches, in
ONE run against the running stack (issue 10; PROFILE.md, "Phase 29" and "Phase 30"). Reports
figures; asserts nothing.

    .venv/bin/python benchmarks/floors.py                 # 32 clients, four rounds (~6 minutes)
    .venv/bin/python benchmarks/floors.py --clients 1

``compare.py`` measures the floor with this product's two consumers of progress events (the
leaderboard, the Course Agent's projection) batched as ours. This measures the floors that bound
what any design on Dapr could keep of the baseline's update figures: without consumers; with the
Course Agent's projection only (the one consumer another service needs: the leaderboard is this
design's own choice); with both. Each with ours' batches (``components/subscriptions.yaml``) and with
far larger ones (``FAR_MORE``: a consumer then costs little more than its Kafka reads).

Per round: the baseline and the floor without consumers, then each variant of the floor with
consumers (started anew for each), the variants' order reversed every other round; every point on 64
new learners, 5 s after a 2 s warm-up, its consumers' backlog drained before it (``compare.measure``).
Each system's throughput, p50 and p99 are given as the median of the rounds' ratios to the baseline's
(their range), as compare.py gives its own. Writes benchmarks/results/floors-<clients>.{json,md}.
"""

from __future__ import annotations

import argparse
import json
import signal
import sys
import time
import uuid
from contextlib import ExitStack
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from compare import BASELINE_TOPIC, create_topic, measure, over_rounds, ratio_over_rounds, start_baseline
from harness import operator_headers, running_stack
from loadgen import HERE, machine, stop_process_group
from sidecar_floor import FLOOR_CONSUMED_TOPIC, FLOOR_TOPIC, MIRRORED_CONSUMERS, running_floor

RESULTS = HERE / "results"
#: Batches far larger than ours: up to 1,000 messages, or what a second brought.
FAR_MORE = {"enabled": True, "maxMessagesCount": 1000, "maxAwaitDurationMs": 1000}
PROJECTION_ONLY = ("bench-floor-projection",)
BOTH = tuple(MIRRORED_CONSUMERS)
#: Each variant of the floor with consumers: the apps that consume, and their batches (None: ours).
VARIANTS: dict[str, tuple[tuple[str, ...], dict[str, Any] | None]] = {
    "projection only, ours' batches": (PROJECTION_ONLY, None),
    "projection only, 1,000 / 1 s": (PROJECTION_ONLY, FAR_MORE),
    "both consumers, ours' batches": (BOTH, None),
    "both consumers, 1,000 / 1 s": (BOTH, FAR_MORE),
}
#: Every system of a round, in the order of the report.
SYSTEMS = ("baseline", "floor, no consumers", *VARIANTS)


def variant_order(number: int) -> list[str]:
    """Round ``number``'s order of the variants: reversed every other round, so a sitting's drift falls
    on each of them alike."""
    order = list(VARIANTS)
    return order[::-1] if number % 2 else order


def summary(rounds: dict[str, list[dict[str, Any]]]) -> dict[str, dict[str, str]]:
    """Each system's throughput, p50 and p99 against the baseline's, round by round
    (``compare.ratio_over_rounds``)."""
    baseline = over_rounds(rounds["baseline"])
    return {
        system: {
            figure: ratio_over_rounds(over_rounds(points), baseline, figure)
            for figure in ("throughput_rps", "p50_ms", "p99_ms")
        }
        for system, points in rounds.items()
    }


def markdown(report: dict[str, Any]) -> str:
    lines = [
        f"# The floors of a design on Dapr, {report['clients']} client(s) ({report['finished_at']})",
        "",
        f"{report['rounds']} rounds of {report['seconds']} s after {report['warmup']} s; 64 new learners a point; "
        "medians of the rounds' ratios to the baseline's (their range). Machine: "
        f"{report['machine'].get('cpu', '?')}, {report['machine'].get('cores', '?')} cores.",
        "",
        "| system | req/s (median) | throughput / the baseline's | p50 / the baseline's | p99 / the baseline's |",
        "|---|---|---|---|---|",
    ]
    for system, ratios in report["summary"].items():
        throughput = over_rounds(report["points"][system])["throughput_rps"]
        lines.append(
            f"| {system} | {throughput:,.0f} | {ratios['throughput_rps']} | {ratios['p50_ms']} | {ratios['p99_ms']} |"
        )
    return "\n".join(lines) + "\n"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--clients", type=int, default=32)
    parser.add_argument("--rounds", type=int, default=4, help="an even number balances the variants' order")
    parser.add_argument("--seconds", type=float, default=5, help="measured seconds per point")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per point (excluded)")
    parser.add_argument("--learners", type=int, default=64)
    parser.add_argument("--port", type=int, default=18190, help="the baseline; the floors on the ports after it")
    parser.add_argument("--out", type=Path, default=RESULTS)
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # unwinds, so every process started is stopped
    info = running_stack()
    args.kafka_bootstrap = info["kafka_bootstrap"]
    token = operator_headers(info)["Authorization"].removeprefix("Bearer ")
    run_id = f"flr{uuid.uuid4().hex[:6]}"
    for topic in (BASELINE_TOPIC, FLOOR_TOPIC, FLOOR_CONSUMED_TOPIC):
        create_topic(info["kafka_bootstrap"], topic)
    rounds: dict[str, list[dict[str, Any]]] = {system: [] for system in SYSTEMS}
    with ExitStack() as cleanup:
        baseline = start_baseline(info, args.port)
        cleanup.callback(stop_process_group, baseline)
        floor = cleanup.enter_context(running_floor(info, args.port + 1, args.port + 500))
        for number in range(args.rounds):
            alone = (
                ("baseline", f"http://127.0.0.1:{args.port}", {"baseline": baseline.pid}),
                ("floor, no consumers", floor.url, floor.pids),
            )
            for system, url, named in alone:
                prefix = f"{run_id}-b{SYSTEMS.index(system)}-r{number}"
                point = measure(url, "update", prefix, args.learners, args.clients, args, named, run_id, token)
                rounds[system].append(point)
                print(f"round {number + 1} {system}: {point['throughput_rps']:,.0f} req/s", flush=True)
            for variant in variant_order(number):
                subscribers, bulk = VARIANTS[variant]
                with running_floor(
                    info, args.port + 3, args.port + 510, consumers=True, subscribers=subscribers, bulk=bulk
                ) as consumed:
                    time.sleep(3)  # the consumers join their groups
                    prefix = f"{run_id}-v{list(VARIANTS).index(variant)}-r{number}"
                    point = measure(
                        consumed.url,
                        "update",
                        prefix,
                        args.learners,
                        args.clients,
                        args,
                        consumed.pids,
                        run_id,
                        token,
                        (consumed.topic, consumed.groups),
                    )
                rounds[variant].append(point)
                print(f"round {number + 1} {variant}: {point['throughput_rps']:,.0f} req/s", flush=True)
    report = {
        "finished_at": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "machine": machine(),
        "clients": args.clients,
        "rounds": args.rounds,
        "seconds": args.seconds,
        "warmup": args.warmup,
        "points": rounds,
    }
    report["summary"] = summary(rounds)
    (args.out / f"floors-{args.clients}.json").write_text(json.dumps(report, indent=1) + "\n")
    (args.out / f"floors-{args.clients}.md").write_text(markdown(report))
    print(markdown(report))


if __name__ == "__main__":
    main()
