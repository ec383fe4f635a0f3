"""The app's spans continue the caller's trace and carry it on to the sidecar, without query strings."""

from __future__ import annotations

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased

from learnflow_common.tracing import current_traceparent, instrument, trace_headers

CALLER_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736"
CALLER_SPAN = "00f067aa0ba902b7"


def traceparent(flags: str = "01") -> str:
    return f"00-{CALLER_TRACE}-{CALLER_SPAN}-{flags}"


def _app(provider: TracerProvider | None) -> FastAPI:
    app = FastAPI()

    @app.get("/status")
    async def status(learner_id: str) -> dict[str, object]:
        return {"outgoing": trace_headers(), "logged": current_traceparent()}

    @app.get("/healthz")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    instrument(app, provider)
    return app


@pytest.fixture
def spans() -> InMemorySpanExporter:
    return InMemorySpanExporter()


def _traced_client(spans: InMemorySpanExporter, rate: float = 1.0) -> TestClient:
    provider = TracerProvider(sampler=ParentBased(TraceIdRatioBased(rate)))
    provider.add_span_processor(SimpleSpanProcessor(spans))
    return TestClient(_app(provider))


def test_request_span_continues_the_callers_trace_and_is_what_the_sidecar_call_carries(
    spans: InMemorySpanExporter,
) -> None:
    answer = _traced_client(spans).get("/status?learner_id=ada", headers={"traceparent": traceparent()}).json()

    [span] = spans.get_finished_spans()
    assert f"{span.context.trace_id:032x}" == CALLER_TRACE
    assert f"{span.parent.span_id:016x}" == CALLER_SPAN
    own = f"00-{CALLER_TRACE}-{span.context.span_id:016x}-01"
    assert answer == {"outgoing": {"traceparent": own}, "logged": own}


def test_a_request_without_trace_context_starts_a_trace(spans: InMemorySpanExporter) -> None:
    answer = _traced_client(spans).get("/status?learner_id=ada").json()

    [span] = spans.get_finished_spans()
    assert span.parent is None
    assert answer["outgoing"]["traceparent"].split("-")[1] == f"{span.context.trace_id:032x}"


def test_spans_keep_no_query_string(spans: InMemorySpanExporter) -> None:
    _traced_client(spans).get("/status?learner_id=ada-lovelace")

    [span] = spans.get_finished_spans()
    assert span.name == "GET /status"
    assert not any("ada-lovelace" in str(value) for value in span.attributes.values())


def test_probes_are_not_traced(spans: InMemorySpanExporter) -> None:
    _traced_client(spans).get("/healthz")

    assert spans.get_finished_spans() == ()


def test_a_caller_that_did_not_sample_is_followed(spans: InMemorySpanExporter) -> None:
    answer = _traced_client(spans).get("/status?learner_id=ada", headers={"traceparent": traceparent("00")}).json()

    assert spans.get_finished_spans() == ()
    assert answer["outgoing"]["traceparent"].endswith("-00")


def test_without_an_exporter_the_callers_context_is_passed_on_unchanged() -> None:
    answer = TestClient(_app(None)).get("/status?learner_id=ada", headers={"traceparent": traceparent()}).json()

    assert answer == {"outgoing": {"traceparent": traceparent()}, "logged": traceparent()}


def test_outside_a_request_nothing_is_sent_or_logged() -> None:
    assert trace_headers() == {}
    assert current_traceparent() is None
