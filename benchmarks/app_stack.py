"""CPU an app spends on a call around its handler: the ASGI stack, in process.

Reports the CPU per actor method call (the actor runtime's dispatch answering at once, so only the
app's HTTP stack around it is measured) through the User Progress app as built, where
``ActorMethodCalls`` answers it, and through the same app with that middleware taken out, where
FastAPI's routing and the HTTP metrics reach the SDK's route: the reference, in the same run.

Then the CPU per request that the HTTP metrics count - an empty bulk delivery to
``/events/progress-events`` and an unauthenticated ``GET /status`` (401) - through the app as built
(``HttpMetrics``) and with prometheus-fastapi-instrumentator's middleware in its place (the
reference). No sidecar, database or broker is involved; uvicorn's HTTP parsing is not included
(equal for both).

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
from prometheus_client import CollectorRegistry
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.middleware import Middleware

from devstack.auth import DevIssuer
from learnflow_common.dapr.actor_calls import ActorMethodCalls
from learnflow_common.metrics import UNMEASURED_ROUTES, HttpMetrics
from user_progress.app import create_app
from user_progress.settings import Settings

APP_TOKEN = "a" * 32
PATH = "/actors/LearnerProgressActor/learner-7/method/RecordEventForStatus"
BODY = b'{"event_id": "e-1"}' * 16
#: A request as the sidecar makes it: (method, path, query, body, whether with the app token, the status expected).
ACTOR_CALL = ("PUT", PATH, b"", BODY, True, 200)
#: Requests the HTTP metrics count, in the same form.
COUNTED = {
    "an empty bulk delivery": (
        "POST",
        "/events/progress-events",
        b"",
        b'{"type": "com.dapr.event.sent.bulk", "entries": []}',
        True,
        200,
    ),
    "GET /status without a token (401)": ("GET", "/status", b"learner_id=ada", b"", False, 401),
}


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


def _with_instrumentator(app: FastAPI) -> FastAPI:
    """The reference for the HTTP metrics: the instrumentator's middleware where ``HttpMetrics`` is."""
    position = next(index for index, entry in enumerate(app.user_middleware) if entry.cls is HttpMetrics)
    app.user_middleware[position] = Middleware(
        PrometheusInstrumentatorMiddleware,
        excluded_handlers=UNMEASURED_ROUTES,
        should_instrument_requests_inprogress=False,
        registry=CollectorRegistry(),
    )
    return app


async def _request(app: FastAPI, method: str, path: str, query: bytes, body: bytes, sidecar: bool, status: int) -> None:
    headers = [(b"host", b"127.0.0.1:8002"), (b"content-type", b"application/json")]
    headers.append((b"content-length", str(len(body)).encode()))
    if sidecar:
        headers.append((b"dapr-api-token", APP_TOKEN.encode()))
    headers.append((b"traceparent", b"00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-00"))
    scope = {
        "type": "http",
        "asgi": {"version": "3.0"},
        "http_version": "1.1",
        "method": method,
        "scheme": "http",
        "path": path,
        "raw_path": path.encode(),
        "query_string": query,
        "root_path": "",
        "headers": headers,
        "client": ("127.0.0.1", 50000),
        "server": ("127.0.0.1", 8002),
        "state": {},
    }
    statuses: list[int] = []

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": body, "more_body": False}

    async def send(message: dict[str, Any]) -> None:
        if message["type"] == "http.response.start":
            statuses.append(message["status"])

    await app(scope, receive, send)
    if statuses != [status]:
        raise RuntimeError(f"{method} {path}: the app answered {statuses}, not {status}")


async def _cpu_per_request(app: FastAPI, request: tuple[str, str, bytes, bytes, bool, int], calls: int) -> float:
    for _ in range(300):  # warm: the middleware stack is built on the first call
        await _request(app, *request)
    started = time.process_time()
    for _ in range(calls):
        await _request(app, *request)
    return (time.process_time() - started) / calls


async def _best_of_three(
    apps: dict[str, FastAPI], request: tuple[str, str, bytes, bytes, bool, int], calls: int
) -> dict[str, float]:
    """Each app's least CPU per request (us) over three rounds, alternated so a noisy neighbour
    touches all of them."""
    spent: dict[str, list[float]] = {name: [] for name in apps}
    for _ in range(3):
        for name, app in apps.items():
            spent[name].append(await _cpu_per_request(app, request, calls))
    return {name: min(values) * 1e6 for name, values in spent.items()}


async def main(calls: int) -> None:
    ActorRuntime.dispatch = answer_at_once  # type: ignore[method-assign, assignment]
    with tempfile.TemporaryDirectory() as directory:
        apps = {"lean": _app(Path(directory), lean=True), "routed": _app(Path(directory), lean=False)}
        best = await _best_of_three(apps, ACTOR_CALL, calls)
    print(f"actor method call, app stack only ({calls} calls x 3, best of 3, CPU per call):")
    print(f"  through FastAPI's routing to the SDK's route: {best['routed']:.0f} us")
    print(
        f"  answered by ActorMethodCalls:                 {best['lean']:.0f} us ({best['lean'] / best['routed']:.2f}x)"
    )
    with tempfile.TemporaryDirectory() as directory:
        apps = {
            "ours": _app(Path(directory), lean=True),
            "reference": _with_instrumentator(_app(Path(directory), lean=True)),
        }
        for app in apps.values():
            app.state.sidecar = None  # an empty delivery calls nothing (the lifespan would start a client)
        for label, request in COUNTED.items():
            low = await _best_of_three(apps, request, calls)
            print(f"{label}, app stack ({calls} calls x 3, best of 3, CPU per request):")
            print(f"  with prometheus-fastapi-instrumentator's middleware: {low['reference']:.0f} us")
            print(
                f"  with HttpMetrics:                                   {low['ours']:.0f} us "
                f"({low['ours'] / low['reference']:.2f}x)"
            )


if __name__ == "__main__":
    asyncio.run(main(int(sys.argv[1]) if len(sys.argv) > 1 else 3000))
