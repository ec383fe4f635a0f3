"""``HttpMetrics`` records what prometheus-fastapi-instrumentator's default metrics recorded, series for
series: the instrumentator's middleware, put where ours is in the same app, is the reference."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

from fastapi import APIRouter, FastAPI, Response
from fastapi.responses import StreamingResponse
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from prometheus_client import CollectorRegistry, generate_latest
from prometheus_client.parser import text_string_to_metric_families
from prometheus_fastapi_instrumentator.middleware import PrometheusInstrumentatorMiddleware
from starlette.middleware import Middleware

from devstack.testing import AppAuth
from learnflow_common.app import create_dapr_app
from learnflow_common.metrics import UNMEASURED_ROUTES, HttpMetrics
from learnflow_common.settings import DaprAppSettings

TOKEN = "app-token-for-tests"

items = APIRouter(prefix="/items", tags=["items"])


@items.get("/{item_id}")
async def get_item(item_id: int) -> dict[str, int]:
    return {"item_id": item_id}


@items.post("")
async def add_item(body: dict[str, Any]) -> dict[str, Any]:
    return body


@items.delete("/{item_id}", status_code=204)
async def delete_item(item_id: int) -> Response:
    return Response(status_code=204)


plain = APIRouter()


@plain.get("/stream")
async def stream() -> StreamingResponse:
    async def chunks() -> AsyncIterator[bytes]:
        yield b"a"
        yield b"bc"

    return StreamingResponse(chunks())


@plain.get("/fails")
async def fails() -> None:
    raise RuntimeError("a bug")


PATHS = (
    "/items/1",
    "/items/22",
    "/items/x",
    "/items",
    "/stream",
    "/fails",
    "/nowhere",
    "/healthz",
    "/metrics",
    "/dapr/config",
    "/dapr/subscribe",
    "/openapi.json",
    "/docs",
)
requests = st.lists(
    st.tuples(
        st.sampled_from(("GET", "POST", "DELETE", "PUT")),
        st.sampled_from(PATHS),
        st.one_of(st.none(), st.binary(max_size=40), st.just(b'{"a": 1}')),
        st.booleans(),  # with the app token (as the sidecar calls)
    ),
    min_size=1,
    max_size=12,
)


def _app(app_auth: AppAuth) -> tuple[FastAPI, CollectorRegistry]:
    app = create_dapr_app(
        title="demo",
        version="0",
        description="",
        settings=app_auth.settings(DaprAppSettings, "demo"),
        routers=[items, plain],
        actor_types=[],
        required_components=(),
    )
    (ours,) = (entry for entry in app.user_middleware if entry.cls is HttpMetrics)
    return app, ours.kwargs["registry"]


def _reference(app_auth: AppAuth) -> tuple[FastAPI, CollectorRegistry]:
    """The same app with the instrumentator's middleware, as ``expose_metrics`` configured it, in
    place of ours."""
    app, _ = _app(app_auth)
    registry = CollectorRegistry()
    position = next(index for index, entry in enumerate(app.user_middleware) if entry.cls is HttpMetrics)
    app.user_middleware[position] = Middleware(
        PrometheusInstrumentatorMiddleware,
        excluded_handlers=UNMEASURED_ROUTES,
        should_instrument_requests_inprogress=False,
        registry=registry,
    )
    return app, registry


def _series(registry: CollectorRegistry) -> dict[tuple[str, tuple[tuple[str, str], ...]], float]:
    """Every sample but the time-dependent ones: latencies are compared by their counts only."""
    timed = ("http_request_duration_seconds", "http_request_duration_highr_seconds")
    found: dict[tuple[str, tuple[tuple[str, str], ...]], float] = {}
    for family in text_string_to_metric_families(generate_latest(registry).decode()):
        for sample in family.samples:
            if sample.name.endswith("_created"):
                continue
            if family.name in timed and not sample.name.endswith("_count"):
                continue
            found[(sample.name, tuple(sorted(sample.labels.items())))] = sample.value
    return found


def _send(app: FastAPI, calls: list[tuple[str, str, bytes | None, bool]]) -> None:
    with TestClient(app, raise_server_exceptions=False) as client:
        for method, path, body, as_sidecar in calls:
            headers = {"dapr-api-token": TOKEN} if as_sidecar else {}
            client.request(method, path, content=body, headers=headers)


@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(calls=requests)
def test_the_http_metrics_are_the_instrumentators_series_for_series(
    app_auth: AppAuth, calls: list[tuple[str, str, bytes | None, bool]]
) -> None:
    ours, ours_registry = _app(app_auth)
    reference, reference_registry = _reference(app_auth)

    _send(ours, calls)
    _send(reference, calls)

    assert _series(ours_registry) == _series(reference_registry)


def test_a_path_with_an_id_is_counted_under_its_route_template(app_auth: AppAuth) -> None:
    app, registry = _app(app_auth)

    _send(app, [("GET", "/items/1", None, False), ("GET", "/items/2", None, False), ("GET", "/nowhere", None, False)])

    series = _series(registry)
    assert series[("http_requests_total", (("handler", "/items/{item_id}"), ("method", "GET"), ("status", "2xx")))] == 2
    assert series[("http_requests_total", (("handler", "none"), ("method", "GET"), ("status", "4xx")))] == 1
