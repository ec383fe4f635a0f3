"""Does an app's memory stop growing under sustained load? Each app's resident memory after rounds of
wrk load (lessons at 16 clients through the Course Agent, then updates at 32 clients through User
Progress), and what the second half of the rounds added per 1,000 requests. Reports figures;
asserts nothing.

    make bench
    .venv/bin/python benchmarks/memory_growth.py --rounds 6 --seconds 12

A compare.py sitting is too short to see growth: the Course Agent once grew ~6 KB per lesson without
end (its actors held every value they wrote; benchmarks/results/PROFILE.md, Phase 15) and still met
the 150 MB target there. An app whose memory has stopped growing adds ~0 MB per 1,000 requests in the
second half.
"""

from __future__ import annotations

import argparse
import time
import uuid

from harness import operator_headers, running_stack
from loadgen import rss_mb, stack_pids, wrk

#: (app, wrk mode, clients): the load each app answers itself.
LOADS = (("course-agent", "lesson", 16), ("user-progress", "update", 32))
LEARNERS = 64


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=6)
    parser.add_argument("--seconds", type=float, default=12.0)
    args = parser.parse_args()
    info = running_stack()
    token = operator_headers(info)["Authorization"].removeprefix("Bearer ")
    pids = stack_pids(info)
    run = uuid.uuid4().hex[:8]
    print(
        f"\n== resident memory under sustained load ({args.rounds} rounds of {args.seconds:g} s, {LEARNERS} learners)"
    )
    for app, mode, clients in LOADS:
        url = info["apps"][app]["app_url"]
        start = int(time.time()) - 25 * 86400
        sizes = [rss_mb(pids[app]) or 0.0]
        served = []
        for number in range(args.rounds):
            # each round's events a day later than the last's, so no learner's day fills up
            result = wrk(
                url,
                mode,
                f"{run}-{number}",
                f"mem-{run}",
                LEARNERS,
                str(start + number * 86400),
                clients,
                args.seconds,
                token,
            )
            served.append(result["requests"])
            sizes.append(rss_mb(pids[app]) or 0.0)
        half = args.rounds // 2
        later = sum(served[half:])
        per_thousand = (sizes[-1] - sizes[half]) / later * 1000 if later else float("nan")
        print(
            f"{app:>14} ({mode}, {clients} clients): {' -> '.join(f'{size:.0f}' for size in sizes)} MB after "
            f"{sum(served):,} requests; the second half added {per_thousand:+.2f} MB per 1,000"
        )


if __name__ == "__main__":
    main()
