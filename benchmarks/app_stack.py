"""CPU an app spends on a call from its sidecar before any handler runs: the ASGI stack, in process.

Reports the CPU per actor method call (the actor runtime's dispatch answering at once, so only the
app's HTTP stack around it is measured) through the User Progress app as built, where
``ActorMethodCalls`` answers it, and through the same app with that middleware taken out, where
FastAPI's routing and the HTTP metrics reach the SDK's route: the reference, in the same run. No
sidecar, database or broker is involved; uvicorn's HTTP parsing is not included (equal for both).

    .venv/bin/python benchmarks/app_stack.py [calls]
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from dapr.actor import ActorRuntime
from fastapi import FastAPI

from devstack.auth import DevIssuer
from learnflow_common.dapr.actor_calls import ActorMethodCalls
from user_progress.app import create_app
from user_progress.settings import Settings

APP_TOKEN = "a" * 32
PATH = "/actors/LearnerProgressActor/learner-7/method/RecordEvent"
BODY = b'{"event_id": "e-1"}' * 16


async def answer_at_once(*args: Any, **kwargs: Any) -> bytes:
    return b'{"outcome": "recorded"}'


def _app(directory: Path, *, lean: bool) -> FastAPI:
    issuer = DevIssuer(directory).ensure()
    values: dict[str, Any] = {
        "APP_ID": "user-progress",
        "APP_PORT": 1,
        "DAPR_HTTP_PORT": 1,
        "DAPR_API_TOKEN": "d" * 32,
        "APP_API_TOKEN": APP_TOKEN,
        "PSEUDONYM_KEY": "p" * 32,
        "LOG_LEVEL": "WARNING",
        **issuer.app_env,
    }
    app = create_app(Settings(**values))
    if not lean:
        app.user_middleware = [entry for entry in app.user_middleware if entry.cls is not ActorMethodCalls]
    return app


async def _call(app: FastAPI) -> None:
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": "PUT",
        "scheme": "http",
        "path": PATH,
        "raw_path": PATH.encode(),
        "query_string": b"",
        "root_path": "",
        "headers": [
            (b"host", b"127.0.0.1:8002"),
            (b"content-type", b"application/json"),
            (b"content-length", str(len(BODY)).encode()),
            (b"dapr-api-token", APP_TOKEN.encode()),
            (b"traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"),
        ],
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8002),
        "state": {},
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": BODY, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    if statuses != [200]:
        raise RuntimeError(f"the app answered {statuses}, not 200")


async def _cpu_per_call(app: FastAPI, calls: int) -> float:
    for _ in range(300):  # warm: the middleware stack is built on the first call
        await _call(app)
    started = time.process_time()
    for _ in range(calls):
        await _call(app)
    return (time.process_time() - started) / calls


async def main(calls: int) -> None:
    ActorRuntime.dispatch = answer_at_once  # type: ignore[method-assign, assignment]
    with tempfile.TemporaryDirectory() as directory:
        lean, routed = _app(Path(directory), lean=True), _app(Path(directory), lean=False)
        figures = {"lean": [], "routed": []}
        for _ in range(3):  # alternated, so a noisy neighbour touches both
            figures["lean"].append(await _cpu_per_call(lean, calls))
            figures["routed"].append(await _cpu_per_call(routed, calls))
    best = {name: min(values) * 1e6 for name, values in figures.items()}
    print(f"actor method call, app stack only ({calls} calls x 3, best of 3, CPU per call):")
    print(f"  through FastAPI's routing to the SDK's route: {best['routed']:.0f} us")
    print(
        f"  answered by ActorMethodCalls:                 {best['lean']:.0f} us ({best['lean'] / best['routed']:.2f}x)"
    )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
