"""An app configured with OTEL_EXPORTER_OTLP_ENDPOINT sends its spans there (here the stack's own
trace sink), and refuses to start with an endpoint or rate that could not work."""

from __future__ import annotations

import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from devstack.otlp_sink import SpanFile, handler_for
from devstack.testing import AppAuth
from user_progress.app import create_app
from user_progress.settings import Settings

TRACE = "0af7651916cd43dd8448eb211c80319c"


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    out = tmp_path / "traces.jsonl"
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(SpanFile(out)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()


def test_the_apps_request_spans_reach_the_otlp_endpoint_by_shutdown(app_auth: AppAuth, sink: tuple[str, Path]) -> None:
    endpoint, out = sink
    settings = app_auth.settings(Settings, "user-progress", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)

    with TestClient(create_app(settings)) as client:
        client.get("/status?learner_id=ada", headers={"traceparent": f"00-{TRACE}-b7ad6b7169203331-01"})
        client.get("/healthz")

    spans = [json.loads(line) for line in out.read_text().splitlines()]
    assert [(span["trace_id"], span["service"], span["name"]) for span in spans] == [
        (TRACE, "user-progress", "GET /status")
    ]


@pytest.mark.parametrize("endpoint", ["127.0.0.1:4318", "grpc://collector:4317", "http://"])
def test_an_endpoint_that_is_not_an_http_url_refuses_to_start(app_auth: AppAuth, endpoint: str) -> None:
    with pytest.raises(ValidationError, match="OTEL_EXPORTER_OTLP_ENDPOINT"):
        app_auth.settings(Settings, "user-progress", OTEL_EXPORTER_OTLP_ENDPOINT=endpoint)


@pytest.mark.parametrize("rate", ["1.5", "-0.1", "often"])
def test_a_sampling_rate_outside_zero_to_one_refuses_to_start(app_auth: AppAuth, rate: str) -> None:
    with pytest.raises(ValidationError, match="OTEL_TRACES_SAMPLER_ARG"):
        app_auth.settings(Settings, "user-progress", OTEL_TRACES_SAMPLER_ARG=rate)
