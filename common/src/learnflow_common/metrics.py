"""Prometheus metrics of a LearnFlow app, served on ``GET /metrics`` (text format, not in OpenAPI).

- ``http_request_duration_seconds`` / ``http_requests_total`` (prometheus-fastapi-instrumentator):
  each public route by its template, method and status class. The sidecar's routes are left to
  the metrics below, health checks and ``/metrics`` itself are not counted.
- ``learnflow_actor_call_seconds{actor_type, method}``: each call to an actor this app hosts, from
  its dispatch (including the wait for the actor's turn) to its answer; reminders are methods too.
- ``learnflow_outbox_events_total{outcome}``: events an actor ``staged`` with a change, then
  ``published``, ``kept`` for the retry reminder (broker or sidecar down) or set aside as
  ``undeliverable`` (refused by the sidecar).
- ``learnflow_outbox_backlog``: events committed but not yet published, over this process's
  active actors (what a broker outage leaves waiting).
- ``learnflow_events_consumed_total{type, outcome}``: deliveries from the sidecar and the answer
  given: ``SUCCESS``, ``RETRY`` (an outage) or ``DROP`` (to the dead letters).

Daprd's own metrics are on each sidecar's metrics port (``metricsPort`` in dapr.yaml, 9090 in the
cluster, where the pods carry ``prometheus.io/*`` annotations for both).
"""

from __future__ import annotations

from fastapi import FastAPI, Response
from prometheus_client import (
    CONTENT_TYPE_LATEST,
    REGISTRY,
    CollectorRegistry,
    Counter,
    Gauge,
    Histogram,
    generate_latest,
)
from prometheus_fastapi_instrumentator import Instrumentator

ACTOR_CALLS = Histogram(
    "learnflow_actor_call_seconds",
    "Calls to the actors this app hosts, from dispatch (including the wait for the turn) to the answer",
    ["actor_type", "method"],
    buckets=(0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0),
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


def expose_metrics(app: FastAPI) -> None:
    """Adds the HTTP metrics middleware and ``GET /metrics``: the app's HTTP metrics (a registry of
    its own: the instrumentator records nothing for a second app of the process, e.g. in tests)
    followed by the process-wide ones above."""
    http_metrics = CollectorRegistry()
    Instrumentator(
        excluded_handlers=UNMEASURED_ROUTES, should_instrument_requests_inprogress=False, registry=http_metrics
    ).instrument(app)

    @app.get("/metrics", include_in_schema=False)
    async def metrics() -> Response:
        return Response(generate_latest(http_metrics) + generate_latest(REGISTRY), media_type=CONTENT_TYPE_LATEST)
