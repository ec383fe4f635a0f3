"""What an update costs at a person's pace. Reports figures; asserts nothing.

    make bench
    .venv/bin/python benchmarks/learner_pace.py --seconds 30 --after 120

compare.py sends each of 64 learners an update every second or so. A person answers an exercise
every 20 s or more, and the work Dapr does per learner over time - the outbox's retry reminder
(registered, fired every period while the learner is active, unregistered once quiet; each a
scheduler round trip) - is then shared by far fewer updates. So this loads User Progress at one
client, three ways, each on learners of its own:

- dense: 64 learners, as compare.py's update-spread;
- paced: learners that come back every ~20 s (made known by a first pass, then left quiet until their
  reminders are gone, as learners returning for a session);
- new: a learner never seen before on every update (their first update, once in their life).

For each: p50, and CPU per update of every process while it ran and in the ``--after`` seconds that
followed (the reminders' firings and unregistration; minus what the same processes use at idle), and
what the sidecar counted per update: reminder firings and scheduler calls.
"""

from __future__ import annotations

import argparse
import time
import uuid
from typing import Any

from harness import operator_headers, running_stack
from loadgen import Sampler, stack_pids, wrk
from profile_ours import metrics_ports, scrape

#: Learners of the paced pattern: at ~40 updates/s (one client) each comes back every ~20 s.
PACED_LEARNERS = 800
DENSE_LEARNERS = 64
#: Different learners on every update (more than a run sends).
NEW_LEARNERS = 10_000_000
IDLE_SECONDS = 10.0
#: What the User Progress sidecar counts, summed over the series whose labels hold every text given.
COUNTED = (
    ("reminder firings", "dapr_runtime_actor_reminders_fired_total", ()),
    ("reminders registered", "dapr_grpc_io_client_roundtrip_latency_count", ("/ScheduleJob",)),
    ("reminders unregistered", "dapr_grpc_io_client_roundtrip_latency_count", ("/DeleteJob",)),
    ("state transactions", "dapr_component_state_count", ('operation="transaction"',)),
)


def _counts(port: int) -> dict[str, float]:
    values = scrape(port)
    return {
        row: sum(
            value for key, value in values.items() if key.split("{")[0] == name and all(text in key for text in texts)
        )
        for row, name, texts in COUNTED
    }


def _beyond_idle(window: Sampler, idle: Sampler, group: str) -> float:
    """CPU seconds ``group`` used in ``window`` beyond what it uses at idle in as long."""
    return window.cpu_seconds.get(group, 0.0) - idle.cpu_seconds.get(group, 0.0) / idle.elapsed * window.elapsed


def _sampled(info: dict[str, Any], seconds: float) -> Sampler:
    with Sampler(stack_pids(info)) as sampler:
        time.sleep(seconds)
    return sampler


def run_pattern(info: dict[str, Any], token: str, name: str, learners: int, seconds: float, after: float) -> None:
    url = info["apps"]["user-progress"]["app_url"]
    port = metrics_ports()["user-progress"]
    tag = f"pace-{name}-{uuid.uuid4().hex[:6]}"
    start = int(time.time()) - 25 * 86400
    if name == "paced":
        # the learners exist and their reminders are gone, as for learners back for a new session
        wrk(url, "update", f"{tag}-known", tag, learners, str(start), 4, seconds / 2, token)
        time.sleep(after)
    idle = _sampled(info, IDLE_SECONDS)
    counted = _counts(port)
    with Sampler(stack_pids(info)) as during:
        result = wrk(url, "update", f"{tag}-run", tag, learners, str(start + 86400), 1, seconds, token)
    following = _sampled(info, after)
    updates = max(1, result["requests"])
    counts = {row: (value - counted[row]) / updates for row, value in _counts(port).items()}
    stack = set(stack_pids(info))
    print(
        f"\n-- {name}: {learners if learners < NEW_LEARNERS else 'a new'} learner(s), {updates} updates in "
        f"{seconds:g} s at 1 client, p50 {result['p50_ms']:.2f} ms, p99 {result['p99_ms']:.2f} ms"
    )
    print(f"   CPU per update of the stack's processes beyond their idle use: while it ran / in the {after:g} s after")
    added = {
        group: (
            _beyond_idle(during, idle, group) * 1000 / updates,
            _beyond_idle(following, idle, group) * 1000 / updates,
        )
        for group in stack
    }
    for group, (while_running, afterwards) in sorted(added.items(), key=lambda item: -sum(item[1])):
        print(f"   {group:28s} {while_running:6.2f} / {afterwards:+6.2f} ms")
    while_running, afterwards = (sum(values[index] for values in added.values()) for index in (0, 1))
    total = while_running + afterwards
    print(f"   {'all':28s} {while_running:6.2f} / {afterwards:+6.2f} ms: {total:.2f} ms per update")
    print(
        "   per update (User Progress's sidecar, both windows): "
        + ", ".join(f"{row} {value:.2f}" for row, value in counts.items())
    )


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seconds", type=float, default=30.0)
    parser.add_argument(
        "--after",
        type=float,
        default=120.0,
        help="long enough for the outbox reminders to go quiet (PROFILE.md, Phase 16)",
    )
    parser.add_argument("--patterns", nargs="+", default=["dense", "paced", "new"], choices=["dense", "paced", "new"])
    args = parser.parse_args()
    info = running_stack()
    token = operator_headers(info)["Authorization"].removeprefix("Bearer ")
    learners = {"dense": DENSE_LEARNERS, "paced": PACED_LEARNERS, "new": NEW_LEARNERS}
    print(f"\n== updates at a person's pace ({args.seconds:g} s a pattern, then {args.after:g} s of what follows)")
    # Kafka's JIT and the apps' caches warm up on learners of their own first, and what follows
    # their updates is over before the first pattern's idle is measured
    wrk(
        info["apps"]["user-progress"]["app_url"],
        "update",
        f"pace-warm-{uuid.uuid4().hex[:6]}",
        "pace-warm",
        DENSE_LEARNERS,
        str(int(time.time()) - 30 * 86400),
        4,
        10,
        token,
    )
    time.sleep(args.after)
    for name in args.patterns:
        run_pattern(info, token, name, learners[name], args.seconds, args.after)


if __name__ == "__main__":
    main()
