"""Traces: the app's spans joined to the ones its sidecar makes, exported over OTLP/HTTP.

A request is one trace across both services and Kafka: the app continues the W3C ``traceparent``
it is called with (from a browser, a gateway, or daprd on its actor calls and event deliveries) or
starts one; every call to the sidecar carries the current span on (:func:`trace_headers`, used by
``DaprSidecar``); daprd traces its side (actor calls, state, publishing, the delivery on the other
side of Kafka: the published CloudEvent carries ``traceparent``) and sends its spans to the same
OTLP endpoint (``components/config*.yaml``, ``spec.tracing``).

With ``OTEL_EXPORTER_OTLP_ENDPOINT`` unset the app records nothing but still passes the incoming
trace context on, so Dapr's spans of one request stay in one trace. Sampling is parent-based: a
request that arrives with a sampling decision keeps it; a new trace is sampled at
``OTEL_TRACES_SAMPLER_ARG`` (0..1).

Spans never carry query strings or bodies (learner ids, payloads), as the access log does not.
"""

from __future__ import annotations

import asyncio
from typing import Any

from fastapi import FastAPI
from opentelemetry import context, propagate, trace
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.instrumentation.fastapi import FastAPIInstrumentor
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import BatchSpanProcessor
from opentelemetry.sdk.trace.sampling import ParentBased, TraceIdRatioBased
from starlette.types import ASGIApp, Receive, Scope, Send

#: Probes and scrapes: daprd's app health check alone would be a trace every few seconds.
UNTRACED_PATHS = "/healthz$,/readyz$,/metrics$"
#: Span attributes that hold a URL with its query string (old and new HTTP semantic conventions).
URL_ATTRIBUTES = ("http.url", "http.target", "url.full")


def tracer_provider(app_id: str, endpoint: str, sampling_rate: float) -> TracerProvider:
    """Spans of ``app_id`` (the service name daprd gives its own spans too), batched to
    ``<endpoint>/v1/traces`` from a background thread."""
    provider = TracerProvider(
        resource=Resource.create({"service.name": app_id}),
        sampler=ParentBased(TraceIdRatioBased(sampling_rate)),
    )
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter(endpoint=f"{endpoint.rstrip('/')}/v1/traces")))
    return provider


def instrument(app: FastAPI, provider: TracerProvider | None) -> None:
    """With a provider, a server span for every request but the probes; without one, only the
    caller's trace context, taken up by a small middleware (OpenTelemetry's instrumentation costs
    about 0.1 ms a request even when it records nothing: it matches the route to name the span)."""
    if provider is None:
        app.add_middleware(CallerTraceContext)
        return
    FastAPIInstrumentor.instrument_app(
        app,
        tracer_provider=provider,
        excluded_urls=UNTRACED_PATHS,
        exclude_spans=["receive", "send"],  # one span a request, not three
        server_request_hook=_without_query,
    )


class CallerTraceContext:
    """ASGI middleware: makes the caller's ``traceparent`` the current context of the request, so
    the sidecar calls and the log lines of the request carry it on, without recording a span."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        carrier = {
            key.decode("latin-1"): value.decode("latin-1")
            for key, value in scope["headers"]
            if key in (b"traceparent", b"tracestate")
        }
        if not carrier:
            await self.app(scope, receive, send)
            return
        token = context.attach(propagate.extract(carrier))
        try:
            await self.app(scope, receive, send)
        finally:
            context.detach(token)


def _without_query(span: trace.Span, scope: dict[str, Any]) -> None:
    """Cuts the query string (``/status?learner_id=...``) off what the instrumentation recorded."""
    attributes = getattr(span, "attributes", None)
    if not span.is_recording() or not attributes:
        return
    for name in URL_ATTRIBUTES:
        value = attributes.get(name)
        if isinstance(value, str) and "?" in value:
            span.set_attribute(name, value.split("?", 1)[0])
    if "url.query" in attributes:
        span.set_attribute("url.query", "")


async def shut_down(provider: TracerProvider | None) -> None:
    """Sends what is still batched (the exporter blocks: off the event loop)."""
    if provider is not None:
        await asyncio.to_thread(provider.shutdown)


def trace_headers() -> dict[str, str]:
    """The current span as ``traceparent`` (and ``tracestate``), for a call that continues it;
    empty outside any trace."""
    carrier: dict[str, str] = {}
    propagate.inject(carrier)
    return carrier


def current_traceparent() -> str | None:
    """The W3C ``traceparent`` of the current span, for log lines; None outside any trace."""
    context = trace.get_current_span().get_span_context()
    if not context.is_valid:
        return None
    return f"00-{context.trace_id:032x}-{context.span_id:016x}-{int(context.trace_flags):02x}"
