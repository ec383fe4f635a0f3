"""What the HTTP benchmarks share: the stack, its operator token, N requests from C concurrent clients,
latency percentiles."""

from __future__ import annotations

import asyncio
import json
import statistics
import time
from collections.abc import Awaitable, Callable, Mapping, Sequence
from pathlib import Path
from typing import Any

import httpx
import psycopg

from devstack.auth import DevIssuer
from devstack.config import find_repo_root, info_file, stack_dir

COLUMNS = ("clients", "p50 ms", "p90 ms", "p99 ms", "max ms", "req/s", "fail")


def running_stack() -> dict[str, Any]:
    path = Path(info_file(stack_dir(find_repo_root())))
    if not path.exists():
        raise SystemExit(f"no running stack ({path}): run `make up` or `make bench`")
    return dict(json.loads(path.read_text()))


#: A token is made once per run: it must outlive the longest benchmark run (all of `make bench`).
TOKEN_TTL_SECONDS = 6 * 3600


def operator_headers(info: dict[str, Any]) -> dict[str, str]:
    """``Authorization: Bearer <JWT>`` of an operator (scope ``admin``), for every call to the apps'
    public routes (the sidecars' own API takes ``dapr-api-token`` instead), from the stack's dev issuer.

    An admin token, not one per learner: learner tokens are rate limited per learner (user-progress
    writes 120/min, course-agent generate-lesson 20/min), which the hot-learner scenarios would hit at
    once; admins are not limited. The JWT check itself is still measured: an admin token is verified
    (signature, issuer, audience, expiry) exactly like a learner's."""
    auth = info["auth"]
    issuer = DevIssuer(Path(auth["signing_key_file"]).parent, auth["AUTH_ISSUER"], auth["AUTH_AUDIENCE"])
    token = issuer.token("bench-operator", scopes=("admin",), ttl_seconds=TOKEN_TTL_SECONDS)
    return {"Authorization": f"Bearer {token}"}


def percentile(samples: Sequence[float], q: float) -> float:
    ordered = sorted(samples)
    return ordered[min(len(ordered) - 1, max(0, round(q / 100 * len(ordered)) - 1))]


def summary(latencies_ms: Sequence[float], elapsed_s: float, failures: int) -> dict[str, float]:
    return {
        "p50_ms": round(statistics.median(latencies_ms), 2),
        "p90_ms": round(percentile(latencies_ms, 90), 2),
        "p99_ms": round(percentile(latencies_ms, 99), 2),
        "max_ms": round(max(latencies_ms), 2),
        "throughput_rps": round(len(latencies_ms) / elapsed_s, 1),
        "failures": failures,
    }


async def load(
    url: str,
    body_for: Callable[[int], dict[str, Any]],
    requests: int,
    concurrency: int,
    expected_status: int,
    headers: Mapping[str, str],
) -> dict[str, float]:
    """POSTs ``body_for(n)`` for n in range(requests) from ``concurrency`` clients, with ``headers``
    (``operator_headers``) on every request."""
    queue: asyncio.Queue[int] = asyncio.Queue()
    for number in range(requests):
        queue.put_nowait(number)
    latencies: list[float] = []
    failures = 0

    async def client_loop(client: httpx.AsyncClient) -> None:
        nonlocal failures
        while not queue.empty():
            number = queue.get_nowait()
            started = time.perf_counter()
            response = await client.post(url, json=body_for(number))
            latencies.append((time.perf_counter() - started) * 1000)
            failures += response.status_code != expected_status

    started = time.perf_counter()
    async with httpx.AsyncClient(
        timeout=60, headers=dict(headers), limits=httpx.Limits(max_connections=concurrency)
    ) as client:
        await asyncio.gather(*(client_loop(client) for _ in range(concurrency)))
    return summary(latencies, time.perf_counter() - started, failures)


def print_row(concurrency: int | str, result: dict[str, float]) -> None:
    values = (
        concurrency,
        result["p50_ms"],
        result["p90_ms"],
        result["p99_ms"],
        result["max_ms"],
        result["throughput_rps"],
        result["failures"],
    )
    print(" ".join(f"{value:>8}" for value in values))


def print_header(title: str) -> None:
    print(title)
    print(" ".join(f"{column:>8}" for column in COLUMNS))


async def insert_actor_state(dsn: str, app_id: str, actor_type: str, actor_id: str, values: Mapping[str, Any]) -> None:
    """Writes an actor's values straight into the stack's state table, as the sidecar stores them."""
    await insert_state(dsn, {f"{app_id}||{actor_type}||{actor_id}||{key}": value for key, value in values.items()})


async def insert_state(dsn: str, rows: Mapping[str, Any]) -> None:
    """Writes rows (full keys, ``<app-id>||<key>``) straight into the stack's state table."""
    values = [(key, json.dumps(value), False) for key, value in rows.items()]
    async with await psycopg.AsyncConnection.connect(dsn) as connection, connection.cursor() as cursor:
        await cursor.executemany("INSERT INTO state (key, value, isbinary) VALUES (%s, %s::jsonb, %s)", values)


def figures(samples: Sequence[float]) -> str:
    """p50, p90 and p99 in ms, as columns."""
    return f"{statistics.median(samples):>8.1f} {percentile(samples, 90):>7.1f} {percentile(samples, 99):>7.1f}"


Seed = Callable[[str, int, str], Awaitable[None]]
Measure = Callable[[httpx.AsyncClient, str, str, int], Awaitable[tuple[list[float], list[float]]]]


async def report_growth(
    client: httpx.AsyncClient,
    unit: str,
    prefix: str,
    sizes: Sequence[int],
    requests: int,
    target: tuple[str, str],
    seed: Seed,
    measure: Measure,
) -> None:
    """For each size: seeds a learner of that size, measures a write and a read endpoint one request at
    a time, and prints p50/p90/p99 with each p50 as a ratio to the first size's. ``target``: the
    app's URL and the PostgreSQL DSN; ``client`` carries the ``operator_headers``."""
    url, dsn = target
    print(f"{unit:>8} {'seed s':>7} {'POST p50':>9} {'p90':>7} {'p99':>7} {'GET p50':>8} {'p90':>7} {'p99':>7}")
    baseline: tuple[float, float] | None = None
    for size in sizes:
        learner = f"{prefix}-{size}"
        started = time.perf_counter()
        await seed(learner, size, dsn)
        seeded = time.perf_counter() - started
        posts, gets = await measure(client, learner, url, requests)
        post_p50, get_p50 = statistics.median(posts), statistics.median(gets)
        baseline = baseline or (post_p50, get_p50)
        ratios = f"POST {post_p50 / baseline[0]:.2f}x, GET {get_p50 / baseline[1]:.2f}x"
        print(f"{size:>8} {seeded:>7.1f} {figures(posts)[1:]} {figures(gets)}   p50 vs {sizes[0]} {unit}: {ratios}")
