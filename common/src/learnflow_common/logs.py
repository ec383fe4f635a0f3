"""Structured logs: one JSON object per line on stderr, for a log collector to index.

Every line has ``timestamp`` (UTC, ISO 8601), ``level``, ``logger``, ``message`` and ``app_id``; a
line written while serving a request also has its ``request_id`` and the W3C ``traceparent`` of the
request's span (learnflow_common.tracing), so a request's lines, those of the actor calls and event
deliveries Dapr makes for it, and its spans share one trace id. The request id comes from a safe
``X-Request-ID`` header or is made here, and is sent back in ``X-Request-ID``.

One access line per request (``"message": "request"`` with method, the route template, status and
duration): never the query string or the body, where learner ids and payloads are. Public routes log
at INFO; the sidecar's routes (actors, event deliveries) and the health checks at DEBUG.
"""

from __future__ import annotations

import json
import logging
import re
import sys
import time
import uuid
from contextvars import ContextVar
from datetime import UTC, date, datetime
from typing import Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from learnflow_common.tracing import current_traceparent

REQUEST_ID: ContextVar[str | None] = ContextVar("request_id", default=None)
#: What an incoming X-Request-ID may be to be kept (anything else is replaced, not logged).
SAFE_REQUEST_ID = re.compile(r"[A-Za-z0-9._:-]{1,64}")
QUIET_PATHS = ("/healthz", "/readyz", "/metrics", "/dapr/", "/actors/", "/events/")
access_log = logging.getLogger("learnflow.access")


#: A record's own attributes; any other attribute came from ``extra=`` (or a filter) and is a field.
RECORD_ATTRIBUTES = frozenset(logging.LogRecord("", 0, "", 0, "", (), None).__dict__) | {
    "message",
    "asctime",
    "taskName",
}


class JsonLines(logging.Formatter):
    """One JSON object per record: ``level``, ``logger``, ``message``, the fixed fields, each extra
    field, ``timestamp`` (UTC, ISO 8601), and ``exc_info``/``stack_info`` when there are.

    Written here rather than taken from python-json-logger, whose formatter cost ~15 us more CPU
    per line in the running app, and every request writes one (benchmarks/results/PROFILE.md,
    "Phase 18")."""

    def __init__(self, fixed: dict[str, Any]) -> None:
        super().__init__()
        self.fixed = fixed

    def format(self, record: logging.LogRecord) -> str:
        fields: dict[str, Any] = {
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            **self.fixed,
        }
        for name, value in record.__dict__.items():
            if name not in RECORD_ATTRIBUTES:
                fields[name] = value
        fields["timestamp"] = datetime.fromtimestamp(record.created, UTC).isoformat()
        if record.exc_info:
            fields["exc_info"] = self.formatException(record.exc_info)
        if record.stack_info:
            fields["stack_info"] = self.formatStack(record.stack_info)
        return json.dumps(fields, default=_json_value)


def _json_value(value: object) -> object:
    """What ``json`` cannot write itself: dates in ISO 8601, anything else as its ``str``."""
    return value.isoformat() if isinstance(value, date) else str(value)


class RequestContext(logging.Filter):
    """Adds the current request's id and trace context to every record."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = REQUEST_ID.get()
        record.traceparent = current_traceparent()
        return True


def configure_logging(app_id: str, level: str) -> None:
    """JSON lines for the root logger and uvicorn's, replacing whatever was configured before."""
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(JsonLines({"app_id": app_id}))
    handler.addFilter(RequestContext())
    root = logging.getLogger()
    root.handlers = [handler]
    root.setLevel(level.upper())
    for name in ("uvicorn", "uvicorn.error"):
        logger = logging.getLogger(name)
        logger.handlers = []
        logger.propagate = True
    # uvicorn's own access line has the query string (learner ids): RequestLog writes ours instead.
    # (uvicorn logs access whenever this logger or its parents have a handler.)
    uvicorn_access = logging.getLogger("uvicorn.access")
    uvicorn_access.handlers = []
    uvicorn_access.propagate = False


class RequestLog:
    """ASGI middleware: the request's context for the logs, ``X-Request-ID`` back, one access line."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = next((value.decode("latin-1") for name, value in scope["headers"] if name == b"x-request-id"), "")
        request_id = incoming if SAFE_REQUEST_ID.fullmatch(incoming) else uuid.uuid4().hex
        request_token = REQUEST_ID.set(request_id)
        started, status = time.perf_counter(), 500

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", []), (b"x-request-id", request_id.encode())]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            _log_access(scope, status, time.perf_counter() - started)
            REQUEST_ID.reset(request_token)


def _log_access(scope: Scope, status: int, seconds: float) -> None:
    route: Any = scope.get("route")
    path = getattr(route, "path", None) or "(no route)"
    level = logging.DEBUG if scope["path"].startswith(QUIET_PATHS) else logging.INFO
    access_log.log(
        level,
        "request",
        extra={"method": scope["method"], "route": path, "status": status, "duration_ms": round(seconds * 1000, 2)},
    )
