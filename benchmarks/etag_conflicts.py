"""What the running stack's User Progress sidecar does with writes under a stale ETag (PROFILE.md,
Phase 11): how long a conflicting state transaction takes to be refused, a conflicting plain save,
and whether conflicts open the state store's circuit breaker (``components/resiliency.yaml``).

It reports and asserts nothing. It writes a few ``etag-probe-*`` keys under the user-progress prefix
and, if the breaker opens, leaves that app without its state store for the breaker's timeout
(15 s): run it on a development stack (``make up``), never under load you care about.

    .venv/bin/python benchmarks/etag_conflicts.py [STORE]

STORE: the state store component to write through (default ``statestore``). PROFILE.md, Phase 12,
ran it through a second component on the same table that ``components/resiliency.yaml`` does not
name (its YAML is there): each conflict was refused at once and no breaker opened.
"""

from __future__ import annotations

import json
import sys
import time
from pathlib import Path

import httpx

STACK_FILE = Path(__file__).resolve().parent.parent / ".stack" / "stack.json"


def main() -> None:
    stack = json.loads(STACK_FILE.read_text())
    name = sys.argv[1] if len(sys.argv) > 1 else "statestore"
    store = f"{stack['apps']['user-progress']['dapr_url']}/v1.0/state/{name}"
    client = httpx.Client(headers={"dapr-api-token": stack["tokens"]["DAPR_API_TOKEN"]}, timeout=30)
    key = f"etag-probe-{time.time_ns()}"
    client.post(store, json=[{"key": key, "value": {"n": 1}}]).raise_for_status()
    stale = client.get(f"{store}/{key}").headers["etag"]
    client.post(store, json=[{"key": key, "value": {"n": 2}, "etag": stale}]).raise_for_status()

    def conflicting_transaction() -> httpx.Response:
        operations = [
            {"operation": "upsert", "request": {"key": key, "value": {"n": 3}, "etag": stale}},
            {"operation": "upsert", "request": {"key": f"{key}-other", "value": {"n": 3}}},
        ]
        return client.post(f"{store}/transaction", json={"operations": operations})

    attempts = [
        ("transaction with a stale ETag", conflicting_transaction),
        (
            "plain save with a stale ETag",
            lambda: client.post(store, json=[{"key": key, "value": {"n": 3}, "etag": stale}]),
        ),
        ("second conflicting transaction", conflicting_transaction),
        ("third conflicting transaction", conflicting_transaction),
        ("then a read of an unrelated key", lambda: client.get(f"{store}/{key}-unrelated")),
    ]
    for label, attempt in attempts:
        started = time.perf_counter()
        answer = attempt()
        print(f"{label}: {answer.status_code} after {time.perf_counter() - started:.2f} s {answer.text[:160]}")


if __name__ == "__main__":
    main()
