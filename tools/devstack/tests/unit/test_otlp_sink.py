"""The local trace sink takes what real OTLP/HTTP exporters send and writes one JSON line a span."""

from __future__ import annotations

import gzip
import json
import threading
from collections.abc import Iterator
from http.server import ThreadingHTTPServer
from pathlib import Path

import httpx
import pytest
from opentelemetry.exporter.otlp.proto.http import Compression
from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
from opentelemetry.sdk.resources import Resource
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.trace import SpanKind

from devstack.otlp_sink import SpanFile, handler_for


@pytest.fixture
def sink(tmp_path: Path) -> Iterator[tuple[str, Path]]:
    out = tmp_path / "traces.jsonl"
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler_for(SpanFile(out)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}", out
    server.shutdown()


def _lines(out: Path) -> list[dict[str, object]]:
    return [json.loads(line) for line in out.read_text().splitlines()]


@pytest.mark.parametrize("compression", [Compression.NoCompression, Compression.Gzip])
def test_spans_of_the_sdk_exporter_are_written_with_their_ids_service_and_attributes(
    sink: tuple[str, Path], compression: Compression
) -> None:
    url, out = sink
    provider = TracerProvider(resource=Resource.create({"service.name": "course-agent"}))
    provider.add_span_processor(
        SimpleSpanProcessor(OTLPSpanExporter(endpoint=f"{url}/v1/traces", compression=compression))
    )
    tracer = provider.get_tracer("test")

    with (
        tracer.start_as_current_span("POST /generate-lesson", kind=SpanKind.SERVER) as parent,
        tracer.start_as_current_span("publish", kind=SpanKind.PRODUCER, attributes={"topic": "lesson-events"}),
    ):
        pass
    provider.shutdown()

    child, root = _lines(out)
    trace_id = f"{parent.get_span_context().trace_id:032x}"
    assert (root["trace_id"], root["parent_span_id"], root["kind"]) == (trace_id, None, "server")
    assert (child["trace_id"], child["parent_span_id"]) == (trace_id, root["span_id"])
    assert child["kind"] == "producer"
    assert child["attributes"] == {"topic": "lesson-events"}
    assert root["service"] == "course-agent"
    assert root["sdk_language"] == "python"


def test_a_json_export_with_hex_ids_is_accepted_too(sink: tuple[str, Path]) -> None:
    url, out = sink
    body = {
        "resourceSpans": [
            {
                "resource": {"attributes": [{"key": "service.name", "value": {"stringValue": "user-progress"}}]},
                "scopeSpans": [
                    {
                        "scope": {"name": "dapr"},
                        "spans": [
                            {
                                "traceId": "5b8efff798038103d269b633813fc60c",
                                "spanId": "eee19b7ec3c1b174",
                                "parentSpanId": "",
                                "name": "pubsub/lesson-events",
                                "kind": 5,
                                "startTimeUnixNano": "1",
                                "endTimeUnixNano": "2",
                            }
                        ],
                    }
                ],
            }
        ]
    }

    answer = httpx.post(f"{url}/v1/traces", content=json.dumps(body), headers={"Content-Type": "application/json"})

    assert answer.status_code == 200
    [line] = _lines(out)
    assert line["trace_id"] == "5b8efff798038103d269b633813fc60c"
    assert (line["service"], line["scope"], line["kind"]) == ("user-progress", "dapr", "consumer")


def test_what_is_not_an_export_is_refused_and_nothing_is_written(sink: tuple[str, Path]) -> None:
    url, out = sink

    refused = httpx.post(f"{url}/v1/traces", content=gzip.compress(b"\xff\xff"), headers={"Content-Encoding": "gzip"})
    elsewhere = httpx.post(f"{url}/v1/metrics", content=b"")

    assert (refused.status_code, elsewhere.status_code) == (400, 404)
    assert out.read_text() == ""


def test_the_span_file_is_rotated_past_its_limit_keeping_one_previous_file(tmp_path: Path) -> None:
    spans = SpanFile(tmp_path / "traces.jsonl", max_bytes=100)

    for number in range(6):  # about 80 bytes each: past 100 bytes after two
        spans.append([{"span": number, "padding": "x" * 60}])

    assert [json.loads(line)["span"] for line in spans.path.read_text().splitlines()] == [4, 5]
    assert [json.loads(line)["span"] for line in spans.previous.read_text().splitlines()] == [2, 3]
