"""Prometheus metrics of a LearnFlow app, served on ``GET /metrics`` (text format, not in OpenAPI).

- ``http_request_duration_seconds`` / ``http_requests_total``: each public route by its template,
  method and status class, with ``http_request_size_bytes``, ``http_response_size_bytes`` and
  ``http_request_duration_highr_seconds``: prometheus-fastapi-instrumentator's default set, recorded
  by :class:`HttpMetrics`. The sidecar's routes are left to the metrics below, health checks and
  ``/metrics`` itself are not counted.
- ``learnflow_actor_call_seconds{actor_type, method}``: each call to an actor this app hosts, from
  its dispatch (including the wait for the actor's turn) to its answer; reminders are methods too.
- ``learnflow_outbox_events_total{outcome}``: events an actor ``staged`` with a change, then
  ``published``, ``kept`` for the retry reminder (broker or sidecar down) or set aside as
  ``undeliverable`` (refused by the sidecar).
- ``learnflow_outbox_backlog``: events committed but not yet published, over this process's
  active actors (what a broker outage leaves waiting).
- ``learnflow_events_consumed_total{type, outcome}``: deliveries from the sidecar and the answer
  given: ``SUCCESS``, ``RETRY`` (an outage) or ``DROP`` (to the dead letters).
- ``learnflow_gc_pause_seconds{generation}``: Python's garbage collector's pauses
  (``learnflow_common.collector``, which also says how the apps set the collector up).

Daprd's own metrics are on each sidecar's metrics port (``metricsPort`` in dapr.yaml, 9090 in the
cluster, where the pods carry ``prometheus.io/*`` annotations for both).
"""

from __future__ import annotations

import re
from timeit import default_timer
from typing import Any

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    Summary,
    generate_latest,
)
from prometheus_fastapi_instrumentator.routing import get_route_name
from starlette.requests import Request
from starlette.types import ASGIApp, Message, Receive, Scope, Send

ACTOR_CALLS = Histogram(
    "learnflow_actor_call_seconds",
    "Calls to the actors this app hosts, from dispatch (including the wait for the turn) to the answer",
    ["actor_type", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
)
ACTOR_METHOD_FALLBACKS = Counter(
    "learnflow_actor_method_fallbacks",
    "Calls of an actor method the actor's host did not have (a replica of the release before, during a "
    "rolling update), made again with the method that release has",
    ["actor_type", "method", "instead"],
)
OUTBOX_EVENTS = Counter(
    "learnflow_outbox_events",
    "Outbox events by what happened to them: staged, published, kept for the reminder, undeliverable",
    ["outcome"],
)
EVENTS_CONSUMED = Counter(
    "learnflow_events_consumed",
    "Event deliveries from the sidecar by the answer given (SUCCESS, RETRY, DROP)",
    ["type", "outcome"],
)


class OutboxBacklog:
    """Events still to publish, per active actor of this process; its sum is the gauge's value."""

    def __init__(self) -> None:
        self._pending: dict[str, int] = {}
        self.gauge = Gauge("learnflow_outbox_backlog", "Events committed but not yet published, in this process")
        self.gauge.set_function(lambda: sum(self._pending.values()))

    def set(self, actor: str, pending: int) -> None:
        if pending:
            self._pending[actor] = pending
        else:
            self._pending.pop(actor, None)


OUTBOX_BACKLOG = OutboxBacklog()

#: Routes whose requests the HTTP metrics leave out (regular expressions over route templates).
UNMEASURED_ROUTES = [r"^/metrics$", r"^/healthz$", r"^/readyz$", r"^/dapr/", r"^/actors/"]
#: prometheus-fastapi-instrumentator's default buckets, kept so the series stay as they were.
HIGHR_BUCKETS = (0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 2.5, 3, 3.5, 4, 4.5, 5, 7.5, 10, 30, 60)
LOWR_BUCKETS = (0.1, 0.5, 1)


class HttpMetrics:
    """ASGI middleware: the metrics prometheus-fastapi-instrumentator's default set records (same
    names, labels, buckets and values; ``test_http_metrics.py`` holds them equal to it), at a
    fraction of its CPU per request: it built a Request, a Response and an Info per request and
    matched the path against every route again, ~0.1 ms of a 0.5 ms ``GET /status``. Here a path's
    template (or ``none``) is found once per method and path (routes do not change once serving) and
    a series is looked up by its labels once.

    A route's template is the instrumentator's own ``get_route_name``; a path no route matches is
    counted as ``none`` unless it is excluded; the status is its class (``2xx``), 500 when the app
    raised before answering; sizes are the ``Content-Length`` headers (0 without one; one that is not
    a number, which uvicorn refuses before any app sees it, raises here as it did there)."""

    #: Distinct (method, path) pairs remembered; past it the memory starts again (paths with ids).
    MAX_PATHS = 4096

    def __init__(self, app: ASGIApp, registry: CollectorRegistry, excluded: list[str]) -> None:
        self.app = app
        self.excluded = [re.compile(pattern) for pattern in excluded]
        self._handlers: dict[tuple[str, str, str], str | None] = {}
        self.total = Counter(
            "http_requests_total",
            "Total number of requests by method, status and handler.",
            ("method", "status", "handler"),
            registry=registry,
        )
        self.request_size = Summary(
            "http_request_size_bytes",
            "Content length of incoming requests by handler. Only value of header is respected. Otherwise "
            "ignored. No percentile calculated. ",
            ("handler",),
            registry=registry,
        )
        self.response_size = Summary(
            "http_response_size_bytes",
            "Content length of outgoing responses by handler. Only value of header is respected. Otherwise "
            "ignored. No percentile calculated. ",
            ("handler",),
            registry=registry,
        )
        self.latency_highr = Histogram(
            "http_request_duration_highr_seconds",
            "Latency with many buckets but no API specific labels. Made for more accurate percentile calculations. ",
            buckets=HIGHR_BUCKETS,
            registry=registry,
        )
        self.latency = Histogram(
            "http_request_duration_seconds",
            "Latency with only few buckets by handler. Made to be only used if aggregation by handler is important. ",
            ("method", "handler"),
            buckets=LOWR_BUCKETS,
            registry=registry,
        )
        self._series: dict[tuple[str, str, str], tuple[Any, Any, Any, Any]] = {}

    def handler_of(self, scope: Scope) -> str | None:
        """The label of the request's route, or None when its requests are not counted."""
        key = (scope["method"], scope["path"], scope.get("root_path", ""))
        if key not in self._handlers:
            if len(self._handlers) >= self.MAX_PATHS:
                self._handlers.clear()
            request = Request(scope)
            template = get_route_name(request, should_include_root_path=False)
            handler = template or request.url.path
            excluded = any(pattern.search(handler) for pattern in self.excluded)
            self._handlers[key] = None if excluded else template or "none"
        return self._handlers[key]

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = default_timer()
        handler = self.handler_of(scope)
        if handler is None:
            await self.app(scope, receive, send)
            return
        answer: dict[str, Any] = {"status": 500, "headers": []}

        async def send_and_note(message: Message) -> None:
            if message["type"] == "http.response.start":
                answer["status"], answer["headers"] = message["status"], message.get("headers", [])
            await send(message)

        try:
            await self.app(scope, receive, send_and_note)
        finally:
            duration = max(default_timer() - started, 0.0)
            status = f"{str(int(answer['status']))[0]}xx"
            method = scope["method"]
            series = self._series.get((method, status, handler))
            if series is None:
                series = self._series[(method, status, handler)] = (
                    self.total.labels(method, status, handler),
                    self.request_size.labels(handler),
                    self.response_size.labels(handler),
                    self.latency.labels(method, handler),
                )
            total, request_size, response_size, latency = series
            total.inc()
            request_size.observe(_content_length(scope["headers"]))
            response_size.observe(_content_length(answer["headers"]))
            self.latency_highr.observe(duration)
            latency.observe(duration)


def _content_length(headers: list[tuple[bytes, bytes]]) -> int:
    for name, value in headers:
        if name.lower() == b"content-length":
            return int(value)
    return 0


def expose_metrics(app: FastAPI) -> None:
    """Adds the HTTP metrics middleware and ``GET /metrics``: the app's HTTP metrics (a registry of
    its own, so a second app of the process, e.g. in tests, counts its own requests) followed by the
    process-wide ones above."""
    http_metrics = CollectorRegistry()
    app.add_middleware(HttpMetrics, registry=http_metrics, excluded=UNMEASURED_ROUTES)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(http_metrics) + generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
