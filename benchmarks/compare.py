"""LearnFlow against the direct path (FastAPI + asyncpg + aiokafka, benchmarks/baseline/), in ONE run
against the running stack (issue 10). Reports figures; asserts nothing.

A third system runs in the same points: the floor of a Dapr design (the baseline's update through a
Dapr sidecar's state and pub/sub APIs, no actors: benchmarks/baseline/through_sidecar.py, its own
daprd started by benchmarks/sidecar_floor.py), so the report splits the gap into what the sidecar
costs any design and what this design adds. A fourth measures the floor with this product's
consumers: that update, its events consumed in bulk by two apps of their own sidecars, each delivery
one state transaction (``running_floor(..., consumers=True)``), as LearnFlow consumes its events in
User Progress (the leaderboard) and the Course Agent (its projection); it bounds what a design of
that shape could keep of the baseline's figures on this machine. A fifth is the baseline with the same
two consumers, the like-for-like direct system: its events consumed by the baseline process itself and
by a second one, with aiokafka batched as Dapr batches ours, each batch one PostgreSQL statement
(``app.py --consumer-group``); ours against it is what a team that needs those consumers too would
compare.

    make bench                                   # starts the stack if needed, then this
    .venv/bin/python benchmarks/compare.py --seconds 3 --warmup 1 --concurrency 1 8   # a short run

Load: wrk (benchmarks/wrk/learnflow.lua), loopback, bounded in time, a warm-up on the same learners
excluded; every update has its own event id. Each point is measured ``--rounds`` times (4: an even
number, so each system goes first as often as it goes last), the systems in turn and their order
reversed every other round, so a stall of the machine or its drift over a sitting falls on one round
of every system alike: a figure is the median of its rounds, and a
ratio the median of the rounds' ratios (``over_rounds``, ``ratio_over_rounds``). For each concurrency:

- ``update-spread``: POST /update-progress over 64 learners; ``update-hot``: on one learner;
- ``status``: GET /status of those 64 learners (the baseline: one SELECT of the aggregate);
- ``generate-lesson``: POST /generate-lesson (ours only; the built-in generator), learners with history.

Then the event propagation of single updates at idle: the answer -> the event read by a plain Kafka
consumer -> the Course Agent's projection reflecting it (the learner's knowledge key has applied
the event's seq, ``events_recorded``, read through the course-agent sidecar's state API every 10
ms). And RSS (/proc) of each app and sidecar at idle and its peak under load, plus the CPU every
process used during each point. Writes benchmarks/results/compare.{json,md,png}.

Every request to our apps carries an operator's bearer token (``harness.operator_headers``: verified
like any token, not rate limited); the baseline gets the same header and bodies, and ignores the header.
"""

from __future__ import annotations

import argparse
import json
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import Callable, Iterable
from contextlib import ExitStack
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
from harness import operator_headers, running_stack
from loadgen import HERE, Sampler, machine, rss_mb, stack_pids, stop_process_group, wrk
from sidecar_floor import FLOOR_CONSUMED_TOPIC, FLOOR_TOPIC, bulk_settings, running_floor

from course_agent.adapters.knowledge import knowledge_key

RESULTS = HERE / "results"
BASELINE_TOPIC = "bench-baseline-progress"
BASELINE_CONSUMED_TOPIC = "bench-baseline-consumed"
#: The baseline with consumers' two processes, and the app of ours whose consumer of progress events
#: each stands for (its batches; the first is the one under load, as User Progress is).
BASELINE_CONSUMERS = {"baseline-consumers": "user-progress", "baseline-projection": "course-agent"}
PROGRESS_TOPIC = "progress-events"
#: The topic of ours' updates and the consumer groups that read it (a point drains them).
OURS_CONSUMED = (PROGRESS_TOPIC, ("user-progress", "course-agent"))
MEMORY_OF = ("user-progress", "user-progress-daprd", "course-agent", "course-agent-daprd", "baseline")
SCENARIOS = ("update-spread", "update-hot", "status", "generate-lesson")
#: CPU groups that belong to the systems measured; anything else is other load on the machine.
MEASURED = (
    *MEMORY_OF,
    "floor",
    "floor-daprd",
    "floor-consumers",
    "floor-consumers-daprd",
    "floor-projection",
    "floor-projection-daprd",
    *BASELINE_CONSUMERS,
    "kafka",
    "java",
    "postgres",
    "placement",
    "scheduler",
    "load generator and profilers (ended children)",
)


def create_topic(bootstrap: str, topic: str) -> None:
    from confluent_kafka.admin import AdminClient, NewTopic

    admin = AdminClient({"bootstrap.servers": bootstrap})
    if topic in admin.list_topics(timeout=10).topics:
        return
    for future in admin.create_topics([NewTopic(topic, num_partitions=3, replication_factor=1)]).values():
        future.result(30)


def start_baseline(
    info: dict[str, Any], port: int, name: str = "baseline", topic: str = BASELINE_TOPIC, stands_for: str = ""
) -> subprocess.Popen[bytes]:
    """Our own baseline process; with ``stands_for`` (an app of ours), also consuming ``topic`` in the
    consumer group ``bench-<name>`` with the batches of that app's consumer of progress events. A port
    already taken (e.g. the baseline of an interrupted run, still connected to a PostgreSQL that is
    gone) would be measured in its place: refuse instead."""
    with socket.socket() as probe:
        if probe.connect_ex(("127.0.0.1", port)) == 0:
            raise SystemExit(f"port {port} is taken (an earlier baseline?): stop it or pass --baseline-port")
    consuming = []
    if stands_for:
        bulk = bulk_settings(stands_for)
        consuming = [
            "--consumer-group",
            f"bench-{name}",
            "--batch-messages",
            str(bulk["maxMessagesCount"]),
            "--batch-wait-ms",
            str(bulk["maxAwaitDurationMs"]),
        ]
    log_path = Path(info["logs_dir"]) / f"bench-{name}.log"
    log = log_path.open("wb")  # the process writes to it until it ends
    process = subprocess.Popen(
        [
            sys.executable,
            str(HERE / "baseline" / "app.py"),
            "--port",
            str(port),
            "--dsn",
            info["postgres_dsn"],
            "--kafka",
            info["kafka_bootstrap"],
            "--topic",
            topic,
            *consuming,
        ],
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )
    try:
        deadline = time.monotonic() + 60
        while time.monotonic() < deadline:
            if process.poll() is not None:
                raise SystemExit(f"the {name} exited: see {log_path}")
            try:
                if httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1).status_code == 200:
                    return process
            except httpx.HTTPError:
                pass
            time.sleep(0.2)
        raise SystemExit(f"the {name} did not answer /healthz within 60 s")
    except BaseException:  # not yet handed to the caller's cleanup (its own session: Ctrl-C misses it)
        stop_process_group(process)
        raise


def measure(
    url: str,
    mode: str,
    prefix: str,
    learners: int,
    clients: int,
    args: argparse.Namespace,
    named: dict[str, int],
    run_id: str,
    token: str,
    consumers: tuple[str, tuple[str, ...]] | None = None,
) -> dict[str, Any]:
    """One point. With ``consumers`` (a topic and the consumer groups that read it), the system is
    left to drain its consumers' backlog after the warm-up (unmeasured) and after the point; that
    second drain is measured, so the CPU per update can count the work the point left behind."""
    # completed_at: 180 s apart per thread (benchmarks/wrk/learnflow.lua), the measured events after
    # the warm-up's on the same learners, all in the past: a learner's events arrive in time order,
    # as in practice (an event before the learner's newest would be a late event and a re-fold).
    start = int((datetime.now(UTC) - timedelta(days=29)).timestamp())
    tag = uuid.uuid4().hex[:6]
    since = topic_ends(args.kafka_bootstrap, consumers[0]) if consumers else {}
    if args.warmup > 0:
        wrk(url, mode, f"{run_id}-w{tag}", prefix, learners, str(start), clients, args.warmup, token)
    if consumers:
        drained_before = drain(args.kafka_bootstrap, *consumers, since)
    with Sampler(named) as sampler:
        measured = str(start + 4 * 86400)
        result = wrk(url, mode, f"{run_id}-m{tag}", prefix, learners, measured, clients, args.seconds, token)
    result["peak_rss_mb"] = sampler.peak
    result["cpu_cores"] = sampler.cpu_share()
    if consumers:
        topic, groups = consumers
        result["drain_before_seconds"] = drained_before
        result["consumer_lag"] = {group: consumer_lag(args.kafka_bootstrap, group, topic, since) for group in groups}
        with Sampler(named) as drained:
            result["drain_seconds"] = drain(args.kafka_bootstrap, *consumers, since)
        result["drain_cpu_seconds"] = drained.cpu_seconds
    return result


def topic_ends(bootstrap: str, topic: str) -> dict[int, int]:
    """Each partition's end offset now: the mark a point's consumer lag counts from."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": f"bench-ends-{uuid.uuid4().hex}"})
    try:
        partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
        return {p: consumer.get_watermark_offsets(TopicPartition(topic, p), timeout=10)[1] for p in partitions}
    finally:
        consumer.close()


def consumer_lag(bootstrap: str, group: str, topic: str, since: dict[int, int]) -> int | None:
    """Messages published to ``topic`` after the ``since`` offsets that the consumer group has not
    committed yet (None: Kafka did not answer). Dapr's Kafka consumer commits about once a second,
    so up to a second's events count too; a partition the group never committed counts from ``since``."""
    from confluent_kafka import Consumer, KafkaException, TopicPartition

    try:
        consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    except KafkaException:
        return None
    try:
        lag = 0
        for entry in consumer.committed([TopicPartition(topic, p) for p in since], timeout=10):
            _, end = consumer.get_watermark_offsets(TopicPartition(topic, entry.partition), timeout=10)
            lag += max(end - max(entry.offset, since[entry.partition]), 0)
        return lag
    except KafkaException:
        return None
    finally:
        consumer.close()


def drain(
    bootstrap: str, topic: str, groups: tuple[str, ...], since: dict[int, int], timeout: float = 120
) -> float | None:
    """Seconds until every group has committed all of ``topic`` published after ``since`` (None: not
    within ``timeout``, or Kafka did not answer)."""
    started = time.monotonic()
    while time.monotonic() - started < timeout:
        if all(consumer_lag(bootstrap, group, topic, since) == 0 for group in groups):
            return round(time.monotonic() - started, 1)
        time.sleep(0.5)
    return None


def ensure_learners(url: str, prefix: str, learners: int, run_id: str, auth: dict[str, str]) -> int:
    """Gives each learner ``<prefix>-l<n>`` that GET /status does not know one update (a short update
    run may not have reached them all); returns how many needed one."""
    missing = 0
    when = (datetime.now(UTC) - timedelta(minutes=1)).isoformat(timespec="seconds")
    with httpx.Client(timeout=30, headers=auth) as client:
        for number in range(learners):
            learner = f"{prefix}-l{number}"
            if client.get(f"{url}/status", params={"learner_id": learner}).status_code == 404:
                missing += 1
                body = {
                    "event_id": f"{run_id}-seed-{number}",
                    "learner_id": learner,
                    "activity": "quiz",
                    "topic": "loops",
                    "score": 70,
                    "completed_at": when,
                }
                client.post(f"{url}/update-progress", json=body).raise_for_status()
    return missing


def _has_applied(knowledge: dict[str, Any], seq: int) -> bool:
    """The projection's bounded dedupe (course_agent.domain.knowledge): seqs up to
    ``applied_through``, plus the ones in ``applied_above``."""
    through = knowledge.get("applied_through")
    return through is not None and (seq <= through or seq in knowledge.get("applied_above", []))


def propagation(
    info: dict[str, Any],
    url: str,
    topic: str,
    samples: int,
    projection: bool,
    run_id: str,
    system: str,
    auth: dict[str, str],
) -> dict[str, Any]:
    """Sequential updates of one learner at idle; per update: answer, event at a plain consumer,
    (ours) the Course Agent's projection listing the CloudEvent id. ``auth`` goes with the updates
    only; the course-agent sidecar's API takes its ``dapr-api-token``."""
    from confluent_kafka import OFFSET_END, Consumer, TopicPartition

    learner = f"{run_id}-{system}-prop"
    consumer = Consumer(
        {
            "bootstrap.servers": info["kafka_bootstrap"],
            "group.id": f"bench-propagation-{uuid.uuid4().hex}",
            "enable.auto.commit": False,
            "fetch.wait.max.ms": 10,
        }
    )
    partitions = consumer.list_topics(topic, timeout=10).topics[topic].partitions
    consumer.assign([TopicPartition(topic, p, OFFSET_END) for p in partitions])
    consumer.poll(1.0)
    ca_dapr = info["apps"]["course-agent"]["dapr_url"]
    headers = {"dapr-api-token": info["tokens"]["DAPR_API_TOKEN"]}
    rows: list[dict[str, float | None]] = []
    with httpx.Client(timeout=30) as client:
        for number in range(samples + 1):  # the first (a new learner) is a warm-up
            event_id = f"{run_id}-{system}-prop-{number}"
            body = {
                "event_id": event_id,
                "learner_id": learner,
                "activity": "quiz",
                "topic": "loops",
                "score": 80,
                "completed_at": datetime.now(UTC).isoformat(timespec="seconds"),
            }
            started = time.perf_counter()
            client.post(f"{url}/update-progress", json=body, headers=auth).raise_for_status()
            answered = time.perf_counter()
            seen = seq = None
            deadline = answered + 15
            while seen is None and time.perf_counter() < deadline:
                message = consumer.poll(0.005)
                if message is None or message.error() or message.key() != learner.encode():
                    continue
                event = json.loads(message.value())
                if event.get("type", "").startswith("learnflow.progress.updated") and (
                    event.get("data", {}).get("source_event_id") == event_id
                ):
                    seen, seq = time.perf_counter(), event["data"].get("events_recorded")
            projected = None
            if projection and seq is not None:
                while projected is None and time.perf_counter() < deadline:
                    answer = client.get(f"{ca_dapr}/v1.0/state/statestore/{knowledge_key(learner)}", headers=headers)
                    knowledge = answer.json() if answer.status_code == 200 and answer.content else None
                    if knowledge and _has_applied(knowledge, seq):
                        projected = time.perf_counter()
                    else:
                        time.sleep(0.01)
            if number:
                rows.append(
                    {
                        "answer_ms": (answered - started) * 1000,
                        "kafka_ms": None if seen is None else (seen - answered) * 1000,
                        "projection_ms": None if projected is None else (projected - answered) * 1000,
                    }
                )
            time.sleep(0.2)
    consumer.close()

    def stats(key: str) -> dict[str, float] | None:
        values = sorted(row[key] for row in rows if row[key] is not None)  # type: ignore[misc]
        if not values:
            return None
        return {
            "p50_ms": round(statistics.median(values), 1),
            "max_ms": round(values[-1], 1),
            "seen": len(values),
        }

    return {
        "samples": samples,
        "answer": stats("answer_ms"),
        "answer_to_kafka": stats("kafka_ms"),
        "answer_to_projection": stats("projection_ms") if projection else None,
    }


#: A point's figures that are the median over its rounds (each on its own).
MEDIAN_FIGURES = ("throughput_rps", "p50_ms", "p90_ms", "p99_ms", "max_ms", "mean_ms")
#: What a point keeps of each round, for the ratios round by round and the range of each figure.
ROUND_FIGURES = ("throughput_rps", "p50_ms", "p99_ms")


def over_rounds(rounds: list[dict[str, Any]]) -> dict[str, Any]:
    """One point measured in several rounds, as one: the median of each latency and throughput
    figure and of each process's CPU share (a round with a machine's stall moves none of them), the
    requests, errors, seconds and the drains' CPU of all rounds added up (CPU per update with the
    drain divides by all the rounds' answers), the peak memory of any round, the slowest drain.
    ``rounds`` keeps each round's figures (:func:`ratio_over_rounds`)."""
    if len(rounds) == 1:
        return {**rounds[0], "rounds": [{key: rounds[0][key] for key in ROUND_FIGURES}]}
    point: dict[str, Any] = {key: round(statistics.median(r[key] for r in rounds), 2) for key in MEDIAN_FIGURES}
    point["requests"] = sum(r["requests"] for r in rounds)
    point["errors"] = sum(r["errors"] for r in rounds)
    point["error_detail"] = _added(r["error_detail"] for r in rounds)
    point["seconds"] = round(sum(r["seconds"] for r in rounds), 2)
    point["peak_rss_mb"] = _each(rounds, "peak_rss_mb", max)
    point["cpu_cores"] = _each(rounds, "cpu_cores", lambda shares: round(statistics.median(shares), 2))
    if "consumer_lag" in rounds[0]:
        point["consumer_lag"] = _each(rounds, "consumer_lag", lambda lags: round(statistics.median(lags)))
        point["drain_before_seconds"] = _slowest(r["drain_before_seconds"] for r in rounds)
        point["drain_seconds"] = _slowest(r["drain_seconds"] for r in rounds)
        point["drain_cpu_seconds"] = _each(rounds, "drain_cpu_seconds", lambda seconds: round(sum(seconds), 2))
    point["rounds"] = [{key: r[key] for key in ROUND_FIGURES} for r in rounds]
    return point


def _each(rounds: list[dict[str, Any]], field: str, combine: Callable[[list[Any]], Any]) -> dict[str, Any]:
    """``combine`` of each name's values in ``field`` over the rounds (0 where a round lacks the name;
    a lag that could not be read, None, is left out)."""
    combined = {}
    for name in dict.fromkeys(name for r in rounds for name in r[field]):
        values = [r[field].get(name, 0) for r in rounds]
        values = [value for value in values if value is not None]
        combined[name] = combine(values) if values else None
    return combined


def _slowest(drains: Iterable[float | None]) -> float | None:
    """The longest drain of the rounds; None (not drained within its wait) if any was."""
    seconds = list(drains)
    return None if None in seconds else max(seconds)


def _added(counts: Iterable[dict[str, int]]) -> dict[str, int]:
    total: Counter[str] = Counter()
    for count in counts:
        total.update(count)  # kinds counted 0 stay listed
    return dict(total)


def ratio_over_rounds(top: dict[str, Any], bottom: dict[str, Any], figure: str) -> str:
    """``top`` / ``bottom`` of a figure, round by round (the two measured seconds apart in each), as
    the median of those ratios and, over several rounds, their range. A point written before rounds
    (one round, none kept) is its figure's ratio."""
    pairs = list(zip(top.get("rounds", [top]), bottom.get("rounds", [bottom]), strict=False))
    ratios = [t[figure] / b[figure] for t, b in pairs if b[figure]]
    if not ratios:
        return "-"
    if len(ratios) == 1:
        return f"{ratios[0]:.2f}x"
    return f"{statistics.median(ratios):.2f}x ({min(ratios):.2f}-{max(ratios):.2f})"


def other_load(point: dict[str, Any]) -> float:
    """Cores used meanwhile by processes of neither system (e.g. other worktrees' test runs)."""
    return sum(share for name, share in point["cpu_cores"].items() if name not in MEASURED)


def rounds_note(report: dict[str, Any]) -> str:
    rounds = report["config"].get("rounds", 1)
    if rounds == 1:
        return "One round: each figure is one point."
    return (
        f"{rounds} rounds, the systems in turn and their order reversed every other round: each figure is the "
        "median of its rounds, each ratio the median of the rounds' ratios (the two systems measured seconds "
        "apart) with their range in brackets; CPU shares are medians, errors all rounds'."
    )


def markdown(report: dict[str, Any]) -> str:
    m = report["machine"]
    lines = [
        f"# LearnFlow vs the direct path ({report['finished_at']})",
        "",
        f"Machine: {m['cpu']}, {m['cores']} cores, {m['memory_gb']} GB, Linux {m['kernel']}, Python "
        f"{m['python']}; load generator {m['wrk']} on the same machine (loopback). {report['config']['seconds']} s "
        f"per point after a {report['config']['warmup']} s warm-up on the same learners. {rounds_note(report)} "
        "Baseline: FastAPI + asyncpg + aiokafka, one uvicorn worker, one PostgreSQL transaction per update, then "
        "one CloudEvent with acks=all (`benchmarks/baseline/`). Latencies in ms; ratio = ours / baseline "
        "(throughput: higher is better; latency: lower is better). Trace sampling of ours: "
        f"{report['config'].get('trace_sampling_rate', 'unknown')} (the cluster's: 0).",
        "",
        "| scenario | clients | ours req/s | ours p50 | ours p99 | baseline req/s | baseline p50 | baseline p99 "
        "| throughput ratio | p50 ratio | p99 ratio | other load (cores) ours / baseline |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    points = report["points"]
    for scenario in SCENARIOS:
        for clients in report["config"]["concurrency"]:
            ours = points.get(f"ours/{scenario}/{clients}")
            base = points.get(f"baseline/{scenario}/{clients}")
            if ours is None:
                continue
            errors = f" ({ours['errors']} errors)" if ours["errors"] else ""
            if base is None:
                lines.append(
                    f"| {scenario} | {clients} | {ours['throughput_rps']}{errors} | {ours['p50_ms']} | "
                    f"{ours['p99_ms']} | - | - | - | - | - | - | {other_load(ours):.2f} |"
                )
                continue
            berrors = f" ({base['errors']} errors)" if base["errors"] else ""
            lines.append(
                f"| {scenario} | {clients} | {ours['throughput_rps']}{errors} | {ours['p50_ms']} | {ours['p99_ms']} "
                f"| {base['throughput_rps']}{berrors} | {base['p50_ms']} | {base['p99_ms']} "
                f"| {ratio_over_rounds(ours, base, 'throughput_rps')} | {ratio_over_rounds(ours, base, 'p50_ms')} "
                f"| {ratio_over_rounds(ours, base, 'p99_ms')} | {other_load(ours):.2f} / {other_load(base):.2f} |"
            )
    for system, description in FLOORS:
        lines += floor_table(report, system, description)
    lines += ["", "Event propagation (single updates of one learner at idle; ms after the POST answered):", ""]
    lines += [
        "| system | samples | POST p50 | -> plain Kafka consumer p50 / max | -> Course Agent projection p50 / max |"
    ]
    lines += ["|---|---|---|---|---|"]

    def pair(stats: dict[str, Any] | None) -> str:
        return f"{stats['p50_ms']} / {stats['max_ms']} ({stats['seen']} seen)" if stats else "-"

    for system, prop in report["propagation"].items():
        answer = prop["answer"]["p50_ms"] if prop["answer"] else "-"
        lines.append(
            f"| {system} | {prop['samples']} | {answer} | {pair(prop['answer_to_kafka'])} "
            f"| {pair(prop['answer_to_projection'])} |"
        )
    lines += ["", "Resident memory (RSS, MB): idle before the load, and the peak while any point ran:", ""]
    lines += ["| process | idle | peak under load |", "|---|---|---|"]
    for name, idle in report["memory"]["idle_mb"].items():
        lines.append(f"| {name} | {idle} | {report['memory']['peak_mb'].get(name, '-')} |")
    background = [other_load(point) for point in points.values()]
    if background:
        lines += [
            "",
            f"Other load on the machine (processes of neither system, e.g. other worktrees' tests): "
            f"{statistics.mean(background):.2f} cores on average over the points, at most {max(background):.2f}.",
        ]
    for system in ("ours", "baseline", "baseline-consumers", "floor", "floor-consumers"):
        point = points.get(f"{system}/update-spread/32")
        if point:
            shares = ", ".join(f"{name} {share}" for name, share in point["cpu_cores"].items())
            title = f"CPU during {system} update-spread at 32 clients (cores busy; 2 = the whole machine)"
            lines += ["", f"{title}: {shares}", "", cpu_per_update(system, point)]
    return "\n".join(lines) + "\n"


#: The processes each system's update runs through, PostgreSQL and Kafka included (the other
#: systems' processes idle meanwhile, and are left out of its CPU per update).
SYSTEM_PROCESSES = {
    "ours": ("user-progress", "user-progress-daprd", "course-agent", "course-agent-daprd", "placement", "scheduler"),
    "baseline": ("baseline",),
    "baseline-consumers": tuple(BASELINE_CONSUMERS),
    "floor": ("floor", "floor-daprd"),
    "floor-consumers": ("floor-consumers", "floor-consumers-daprd", "floor-projection", "floor-projection-daprd"),
}
SHARED_PROCESSES = ("postgres", "java", "kafka")


def cpu_per_update(system: str, point: dict[str, Any]) -> str:
    """CPU per answered update (ms) of the system's own processes, PostgreSQL and Kafka: a figure
    that moves far less with the machine's speed of the day than throughput does. Where the point
    left its consumers a backlog, also with the CPU its drain took (a consumer that falls behind
    under load has not done its share of the work when the point ends)."""
    rps = point["throughput_rps"] or float("nan")
    own = (*SYSTEM_PROCESSES[system], *SHARED_PROCESSES)
    spent = {name: 1000 * share / rps for name, share in point["cpu_cores"].items() if name in own and share > 0}
    parts = ", ".join(f"{name} {ms:.2f}" for name, ms in spent.items())
    line = f"CPU per {system} update at 32 clients (ms): {sum(spent.values()):.2f} in all ({parts})"
    if "drain_cpu_seconds" not in point:
        return line
    answered = point["requests"] - point["errors"]
    drained = {
        name: 1000 * seconds / answered
        for name, seconds in point["drain_cpu_seconds"].items()
        if name in own and seconds > 0
    }
    took = f"{point['drain_seconds']} s" if point["drain_seconds"] is not None else "not within 120 s"
    parts = ", ".join(f"{name} +{ms:.2f}" for name, ms in drained.items())
    return (
        f"{line}; with the drain of the backlog it left its consumers ({point['consumer_lag']}; drained in "
        f"{took}): {sum(spent.values()) + sum(drained.values()):.2f} ({parts})"
    )


#: The other systems against the baseline and ours against each: (system, what it is).
FLOORS = (
    (
        "baseline-consumers",
        "The baseline with this product's consumers, the like-for-like direct system: the baseline's update, "
        "its events consumed by the baseline process itself and by a second process (aiokafka, a consumer "
        "group each, batched per partition as Dapr's Kafka consumer batches the subscription of ours each "
        "stands for), each batch one PostgreSQL statement of the learners' newest values and nothing read, "
        "offsets committed after it about once a second, as Dapr's consumer does "
        "(`benchmarks/baseline/app.py --consumer-group`). ours / "
        "baseline-consumers is what this design costs against a direct system that keeps the same two "
        "consumers. Consumer lag: messages not yet committed by each group when the point ended.",
    ),
    (
        "floor",
        "The floor of a Dapr design: the baseline's update through a Dapr sidecar's state and pub/sub APIs "
        "(read with ETag, one state transaction of the event id and the aggregate, one publish; no actors, "
        "consumers or outbox: `benchmarks/baseline/through_sidecar.py`). floor / baseline is what the sidecar "
        "and Dapr's state store cost whatever the design; ours / floor is what this design adds on top.",
    ),
    (
        "floor-consumers",
        "The floor with this product's consumers: the floor's update, its events consumed in bulk by the "
        "updating app and by a second app, each through its own sidecar and consumer group and with the bulk "
        "settings of the consumer of ours it stands for, each delivery one state transaction of the learners' "
        "newest values and nothing read, as User Progress keeps the leaderboard and the Course Agent its "
        "projection (`benchmarks/sidecar_floor.py`): far less work per event than ours does, so its ratios to "
        "the baseline bound what a design of this shape (Python apps, HTTP to the sidecars, the same batches) "
        "can keep on this machine. "
        "Consumer lag: messages not yet committed by each group when the point ended (Dapr commits about "
        "once a second).",
    ),
)


def floor_table(report: dict[str, Any], system: str, description: str) -> list[str]:
    """A floor against the baseline, and ours against that floor (what of the gap the sidecar and
    Dapr's state store cost whatever the design, and what is ours)."""
    points = report["points"]
    if not any(name.startswith(f"{system}/") for name in points):
        return []
    lines = [
        "",
        description,
        "",
        f"| scenario | clients | {system} req/s | p50 | p99 | {system} / baseline: throughput, p50, p99 "
        f"| ours / {system}: throughput, p50, p99 | consumer lag at the end: {system} / ours |",
        "|---|---|---|---|---|---|---|---|",
    ]

    def ratios(top: dict[str, Any], bottom: dict[str, Any]) -> str:
        return ", ".join(ratio_over_rounds(top, bottom, key) for key in ROUND_FIGURES)

    def lag(point: dict[str, Any]) -> str:
        return ", ".join(f"{group} {value}" for group, value in point.get("consumer_lag", {}).items()) or "-"

    for scenario in SCENARIOS:
        for clients in report["config"]["concurrency"]:
            floor = points.get(f"{system}/{scenario}/{clients}")
            base = points.get(f"baseline/{scenario}/{clients}")
            ours = points.get(f"ours/{scenario}/{clients}")
            if floor is None or base is None or ours is None:
                continue
            errors = f" ({floor['errors']} errors)" if floor["errors"] else ""
            lines.append(
                f"| {scenario} | {clients} | {floor['throughput_rps']}{errors} | {floor['p50_ms']} | {floor['p99_ms']} "
                f"| {ratios(floor, base)} | {ratios(ours, floor)} | {lag(floor)} / {lag(ours)} |"
            )
    return lines


def chart(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    concurrency = report["config"]["concurrency"]
    figure, axes = plt.subplots(2, len(SCENARIOS), figsize=(4.2 * len(SCENARIOS), 7.5), squeeze=False)
    colors = {
        "ours": "tab:red",
        "baseline": "tab:blue",
        "baseline-consumers": "tab:cyan",
        "floor": "tab:green",
        "floor-consumers": "tab:olive",
    }
    for column, scenario in enumerate(SCENARIOS):
        latency, throughput = axes[0][column], axes[1][column]
        for system in colors:
            rows = [report["points"].get(f"{system}/{scenario}/{c}") for c in concurrency]
            xs = [c for c, row in zip(concurrency, rows, strict=True) if row]
            rows = [row for row in rows if row]
            if not rows:
                continue
            latency.plot(xs, [r["p50_ms"] for r in rows], "o-", color=colors[system], label=f"{system} p50")
            latency.plot(xs, [r["p99_ms"] for r in rows], "s--", color=colors[system], label=f"{system} p99")
            throughput.plot(xs, [r["throughput_rps"] for r in rows], "o-", color=colors[system], label=system)
        latency.set_title(scenario)
        latency.set_yscale("log")
        latency.set_ylabel("latency (ms, log)")
        throughput.set_yscale("log")
        throughput.set_ylabel("throughput (req/s, log)")
        for axis in (latency, throughput):
            axis.set_xscale("log", base=2)
            axis.set_xticks(concurrency, [str(c) for c in concurrency])
            axis.set_xlabel("concurrent clients")
            axis.grid(True, alpha=0.3)
            axis.legend(fontsize=8)
    figure.suptitle(
        f"LearnFlow (ours) vs direct FastAPI+asyncpg+aiokafka (baseline) and through a sidecar (floor), "
        "each also with this product's two consumers, "
        f"{report['finished_at']}"
    )
    figure.tight_layout()
    figure.savefig(path, dpi=110)


def report_point(system: str, scenario: str, clients: int, number: int, point: dict[str, Any]) -> None:
    print(
        f"{system:>8} {scenario:<15} c={clients:<3} round {number + 1}  {point['throughput_rps']:>8} req/s  "
        f"p50 {point['p50_ms']:>8} ms  p99 {point['p99_ms']:>8} ms  errors {point['errors']}",
        flush=True,
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--seconds", type=float, default=5, help="measured seconds per point and round")
    parser.add_argument("--warmup", type=float, default=2, help="warm-up seconds per point (excluded)")
    parser.add_argument("--concurrency", type=int, nargs="+", default=[1, 8, 32, 64])
    parser.add_argument(
        "--rounds",
        type=int,
        default=4,
        help="each point this many times, the systems' order reversed every other round (an even number "
        "balances it): medians, and the ratios round by round",
    )
    parser.add_argument("--learners", type=int, default=64)
    parser.add_argument("--propagation-samples", type=int, default=20)
    parser.add_argument(
        "--baseline-port", type=int, default=18090, help="the baseline with consumers: the port + 5 and + 6"
    )
    parser.add_argument(
        "--floor-port",
        type=int,
        default=18091,
        help="the floor app (its daprd: 18591-18594); the floor with consumers: apps on the port + 2 and + 3, "
        "daprd on + 510 to + 517",
    )
    parser.add_argument("--out", type=Path, default=RESULTS)
    parser.add_argument("--render", type=Path, help="only write the table and chart again from this compare.json")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    if args.render:
        report = json.loads(args.render.read_text())
        (args.out / "compare.md").write_text(markdown(report))
        chart(report, args.out / "compare.png")
        return
    # `kill` (SIGTERM) unwinds like Ctrl-C, so the baseline is stopped by the `finally` below
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    info = running_stack()
    args.kafka_bootstrap = info["kafka_bootstrap"]
    auth = operator_headers(info)
    token = auth["Authorization"].removeprefix("Bearer ")
    run_id = f"cmp{uuid.uuid4().hex[:6]}"
    ours_up = info["apps"]["user-progress"]["app_url"]
    ours_ca = info["apps"]["course-agent"]["app_url"]
    baseline_url = f"http://127.0.0.1:{args.baseline_port}"
    ports = [
        args.baseline_port,
        *(args.baseline_port + offset for offset in (5, 6)),
        *(args.floor_port + offset for offset in (0, 2, 3)),
        *(args.floor_port + offset for offset in (*range(500, 504), *range(510, 518))),
    ]
    if len(set(ports)) != len(ports):
        raise SystemExit(f"--baseline-port and --floor-port give processes the same port: {sorted(ports)}")
    create_topic(info["kafka_bootstrap"], BASELINE_TOPIC)
    create_topic(info["kafka_bootstrap"], FLOOR_TOPIC)
    create_topic(info["kafka_bootstrap"], FLOOR_CONSUMED_TOPIC)
    create_topic(info["kafka_bootstrap"], BASELINE_CONSUMED_TOPIC)
    baseline = start_baseline(info, args.baseline_port)
    with ExitStack() as cleanup:
        cleanup.callback(stop_process_group, baseline)
        consuming_baselines = {}
        for offset, (name, stands_for) in enumerate(BASELINE_CONSUMERS.items(), start=5):
            process = start_baseline(info, args.baseline_port + offset, name, BASELINE_CONSUMED_TOPIC, stands_for)
            cleanup.callback(stop_process_group, process)
            consuming_baselines[name] = process
        consuming_baseline_url = f"http://127.0.0.1:{args.baseline_port + 5}"
        floor = cleanup.enter_context(running_floor(info, args.floor_port, args.floor_port + 500))
        named = {name: pid for name, pid in stack_pids(info).items() if name in MEMORY_OF}
        named["baseline"] = baseline.pid
        named.update(floor.pids)
        named.update({name: process.pid for name, process in consuming_baselines.items()})
        consumed = cleanup.enter_context(
            running_floor(info, args.floor_port + 2, args.floor_port + 510, consumers=True)
        )
        named.update(consumed.pids)
        #: the consumer groups whose lag each system's update points report
        groups = {
            "ours": OURS_CONSUMED,
            "floor-consumers": (consumed.topic, consumed.groups),
            "baseline-consumers": (BASELINE_CONSUMED_TOPIC, tuple(f"bench-{name}" for name in BASELINE_CONSUMERS)),
        }
        time.sleep(3)
        idle = {name: rss_mb(pid) for name, pid in named.items()}
        rounds: dict[str, list[dict[str, Any]]] = {}
        for clients in args.concurrency:
            for number in range(args.rounds):
                for scenario, mode, learners in (
                    ("update-spread", "update", args.learners),
                    ("update-hot", "update", 1),
                    ("status", "status", args.learners),
                ):
                    systems = [("ours", ours_up), ("baseline", baseline_url), ("floor", floor.url)]
                    if mode == "update":  # their reads are the baseline's and the floor's
                        systems += [("baseline-consumers", consuming_baseline_url), ("floor-consumers", consumed.url)]
                    if number % 2:  # a sitting's drift falls on every system alike
                        systems.reverse()
                    for system, url in systems:
                        for name, process in consuming_baselines.items():
                            if process.poll() is not None:  # its consumer failed (benchmarks/baseline/app.py)
                                raise SystemExit(f"the {name} exited: see bench-{name}.log in {info['logs_dir']}")
                        # new learners every round: a round's completed_at start again, so on the last
                        # round's learners its events would be late ones, each a re-fold (~90 ms hot)
                        learners_of = f"{run_id}-{system}-c{clients}-r{number + 1}"
                        prefix = learners_of + ("-hot" if learners == 1 else "")
                        if mode == "status":
                            ensure_learners(url, prefix, learners, learners_of, auth)
                        consumers = groups.get(system) if mode == "update" else None
                        point = measure(url, mode, prefix, learners, clients, args, named, run_id, token, consumers)
                        rounds.setdefault(f"{system}/{scenario}/{clients}", []).append(point)
                        report_point(system, scenario, clients, number, point)
                lesson_prefix = f"{run_id}-ours-c{clients}-r{number + 1}"
                point = measure(ours_ca, "lesson", lesson_prefix, args.learners, clients, args, named, run_id, token)
                rounds.setdefault(f"ours/generate-lesson/{clients}", []).append(point)
                report_point("ours", "generate-lesson", clients, number, point)
        points = {key: over_rounds(measured) for key, measured in rounds.items()}
        prop = {
            "ours": propagation(info, ours_up, PROGRESS_TOPIC, args.propagation_samples, True, run_id, "ours", auth),
            "baseline": propagation(
                info, baseline_url, BASELINE_TOPIC, args.propagation_samples, False, run_id, "baseline", auth
            ),
            "floor": propagation(info, floor.url, FLOOR_TOPIC, args.propagation_samples, False, run_id, "floor", auth),
        }
        print("propagation:", json.dumps(prop), flush=True)
    peak: dict[str, float] = {}
    for point in points.values():
        for name, value in point["peak_rss_mb"].items():
            peak[name] = max(peak.get(name, 0.0), value)
    report = {
        "finished_at": datetime.now(UTC).isoformat(timespec="seconds"),
        "machine": {**machine(), "python": platform.python_version()},
        "config": {
            "seconds": args.seconds,
            "warmup": args.warmup,
            "concurrency": args.concurrency,
            "rounds": args.rounds,
            "learners": args.learners,
            "run_id": run_id,
            # the stack's Dapr and app tracing (devstack TRACE_SAMPLING_RATE); `make bench` runs with 0
            "trace_sampling_rate": info.get("trace_sampling_rate", "unknown"),
        },
        "points": points,
        "propagation": prop,
        "memory": {"idle_mb": idle, "peak_mb": peak},
    }
    (args.out / "compare.json").write_text(json.dumps(report, indent=2) + "\n")
    (args.out / "compare.md").write_text(markdown(report))
    chart(report, args.out / "compare.png")
    print(markdown(report))
    print(f"written: {args.out}/compare.json, compare.md, compare.png")


if __name__ == "__main__":
    main()
