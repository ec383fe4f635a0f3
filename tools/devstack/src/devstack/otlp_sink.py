"""A local OTLP/HTTP trace receiver: every span it is sent, one JSON line each, in a file.

The local stack's stand-in for a trace backend (an OpenTelemetry Collector, Jaeger, Tempo): both
sidecars (``components/config*.yaml``) and both apps (``OTEL_EXPORTER_OTLP_ENDPOINT``) send their
spans here, so a developer - or a test - can follow one request across the services and Kafka:

    jq -c 'select(.trace_id == "<id>") | [.service, .scope, .name]' .stack/traces.jsonl

It speaks OTLP/HTTP (``POST /v1/traces``, protobuf or JSON, optionally gzip) as the OpenTelemetry
specification defines it, decoded with the official ``opentelemetry-proto`` messages.

    python -m devstack.otlp_sink --port 4318 --out .stack/traces.jsonl
"""

from __future__ import annotations

import argparse
import base64
import gzip
import json
import threading
from collections.abc import Iterable
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from google.protobuf import json_format
from opentelemetry.proto.collector.trace.v1.trace_service_pb2 import (
    ExportTraceServiceRequest,
    ExportTraceServiceResponse,
)
from opentelemetry.proto.common.v1.common_pb2 import AnyValue, KeyValue

TRACES_PATH = "/v1/traces"
#: Larger requests are refused (413): a batch of spans is a few hundred kilobytes at most.
MAX_REQUEST_BYTES = 16 * 1024 * 1024
SPAN_KINDS = {0: "unspecified", 1: "internal", 2: "server", 3: "client", 4: "producer", 5: "consumer"}
#: The span file's size before it is rotated (one previous file is kept).
MAX_FILE_BYTES = 64 * 1024 * 1024
ID_FIELDS = frozenset({"traceId", "spanId", "parentSpanId"})
STATUS_CODES = {0: "unset", 1: "ok", 2: "error"}


def _value(value: AnyValue) -> Any:
    kind = value.WhichOneof("value")
    if kind is None:
        return None
    if kind == "array_value":
        return [_value(item) for item in value.array_value.values]
    if kind == "kvlist_value":
        return _attributes(value.kvlist_value.values)
    if kind == "bytes_value":
        return value.bytes_value.hex()
    return getattr(value, kind)


def _attributes(pairs: Iterable[KeyValue]) -> dict[str, Any]:
    return {pair.key: _value(pair.value) for pair in pairs}


def span_lines(request: ExportTraceServiceRequest) -> list[dict[str, Any]]:
    """Each span of an export request as a flat record: ids in hex, the emitting service, its
    instrumentation scope, times in Unix nanoseconds, attributes as plain values."""
    lines = []
    for resource_spans in request.resource_spans:
        resource = _attributes(resource_spans.resource.attributes)
        for scope_spans in resource_spans.scope_spans:
            for span in scope_spans.spans:
                lines.append(
                    {
                        "trace_id": span.trace_id.hex(),
                        "span_id": span.span_id.hex(),
                        "parent_span_id": span.parent_span_id.hex() or None,
                        "name": span.name,
                        "kind": SPAN_KINDS.get(span.kind, str(span.kind)),
                        "service": resource.get("service.name"),
                        "sdk_language": resource.get("telemetry.sdk.language"),
                        "scope": scope_spans.scope.name,
                        "start_unix_nano": span.start_time_unix_nano,
                        "end_unix_nano": span.end_time_unix_nano,
                        "status": STATUS_CODES.get(span.status.code, str(span.status.code)),
                        "attributes": _attributes(span.attributes),
                    }
                )
    return lines


def _ids_as_base64(document: Any) -> Any:
    """OTLP/JSON writes trace and span ids in hex, where protobuf's JSON mapping expects base64."""
    if isinstance(document, list):
        return [_ids_as_base64(item) for item in document]
    if not isinstance(document, dict):
        return document
    return {
        key: base64.b64encode(bytes.fromhex(value)).decode()
        if key in ID_FIELDS and isinstance(value, str)
        else _ids_as_base64(value)
        for key, value in document.items()
    }


def decode(body: bytes, content_type: str, content_encoding: str) -> ExportTraceServiceRequest:
    """An export request's body, as OTLP/HTTP allows it: binary protobuf or JSON, gzip or not."""
    if content_encoding == "gzip":
        body = gzip.decompress(body)
    request = ExportTraceServiceRequest()
    if content_type.startswith("application/json"):
        json_format.ParseDict(_ids_as_base64(json.loads(body)), request, ignore_unknown_fields=True)
    else:
        request.ParseFromString(body)
    return request


class SpanFile:
    """Appends span lines to one file, a whole request's lines at a time. Bounded: past
    ``max_bytes`` the file becomes ``<name>.1`` (replacing the one before) and a new one starts, so
    a long run or a benchmark (about 1 KB a span, ten spans an update) cannot fill the disk."""

    def __init__(self, path: Path, max_bytes: int = MAX_FILE_BYTES) -> None:
        self.path = path
        self.previous = path.with_name(f"{path.name}.1")
        self.max_bytes = max_bytes
        self._lock = threading.Lock()
        path.parent.mkdir(parents=True, exist_ok=True)
        path.touch(mode=0o600)

    def append(self, lines: list[dict[str, Any]]) -> None:
        text = "".join(json.dumps(line, separators=(",", ":")) + "\n" for line in lines)
        with self._lock:
            if self.path.stat().st_size >= self.max_bytes:
                self.path.replace(self.previous)
            with self.path.open("a") as out:
                out.write(text)


def handler_for(spans: SpanFile) -> type[BaseHTTPRequestHandler]:
    class OtlpHandler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            if self.path != TRACES_PATH:
                self._answer(404, b"only " + TRACES_PATH.encode())
                return
            length = int(self.headers.get("Content-Length") or 0)
            if length > MAX_REQUEST_BYTES:
                self._answer(413, b"request too large")
                return
            body = self.rfile.read(length)
            content_type = self.headers.get("Content-Type", "application/x-protobuf")
            try:
                request = decode(body, content_type, self.headers.get("Content-Encoding", ""))
            except Exception as error:  # a malformed export: the sender should not retry it
                self._answer(400, f"not an OTLP trace export: {error}".encode())
                return
            spans.append(span_lines(request))
            if content_type.startswith("application/json"):
                self._answer(200, b"{}", "application/json")
            else:
                self._answer(200, ExportTraceServiceResponse().SerializeToString(), "application/x-protobuf")

        def do_GET(self) -> None:
            self._answer(200 if self.path == "/healthz" else 404, b"ok")

        def _answer(self, status: int, body: bytes, content_type: str = "text/plain") -> None:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, format: str, *args: Any) -> None:
            """Quiet: one line per export would drown the stack's log."""

    return OtlpHandler


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, default=4318)
    parser.add_argument("--out", type=Path, required=True, help="the JSON lines file spans are appended to")
    args = parser.parse_args(argv)
    server = ThreadingHTTPServer((args.host, args.port), handler_for(SpanFile(args.out)))
    print(f"otlp-sink: OTLP/HTTP on http://{args.host}:{args.port}{TRACES_PATH}, spans to {args.out}", flush=True)
    server.serve_forever()


if __name__ == "__main__":
    main()
