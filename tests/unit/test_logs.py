"""Log lines: JSON, one per line, tied to their request, without learner data or secrets."""

from __future__ import annotations

import io
import json
import logging
import sys
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devstack.testing import AppAuth
from learnflow_common.logs import JsonLines
from user_progress.app import create_app
from user_progress.settings import Settings

TRACEPARENT = "00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01"


@pytest.fixture
def client(app_auth: AppAuth) -> Iterator[TestClient]:
    with TestClient(create_app(app_auth.settings(Settings, "user-progress"))) as test_client:
        yield test_client


@pytest.fixture
def lines(client: TestClient) -> Iterator[io.StringIO]:
    """What the app writes to its log (its handler's stream, swapped for this test)."""
    handler = logging.getLogger().handlers[0]
    assert isinstance(handler, logging.StreamHandler)
    buffer = io.StringIO()
    previous = handler.setStream(buffer)
    yield buffer
    handler.setStream(previous)


def _records(buffer: io.StringIO) -> list[dict[str, Any]]:
    return [json.loads(line) for line in buffer.getvalue().splitlines()]


def test_each_request_is_one_json_access_line_with_its_request_id_and_trace(
    client: TestClient, lines: io.StringIO
) -> None:
    response = client.get(
        "/status",
        params={"learner_id": "ada@example.org"},
        headers={"traceparent": TRACEPARENT, "Authorization": "Bearer not.a.token"},
    )

    [access] = [record for record in _records(lines) if record["message"] == "request"]
    assert access["request_id"] == response.headers["x-request-id"]
    assert access["traceparent"] == TRACEPARENT
    assert access["app_id"] == "user-progress"
    assert access["level"] == "INFO"
    assert access["timestamp"].startswith("20")
    assert (access["method"], access["route"], access["status"]) == ("GET", "/status", 401)
    assert access["duration_ms"] >= 0
    assert "ada@example.org" not in lines.getvalue()
    assert "not.a.token" not in lines.getvalue()


def test_a_safe_request_id_from_the_caller_is_kept_and_an_unsafe_one_replaced(client: TestClient) -> None:
    kept = client.get("/healthz", headers={"X-Request-ID": "frontend-42"})
    replaced = client.get("/healthz", headers={"X-Request-ID": "a\nb<script>" + "x" * 80})

    assert kept.headers["x-request-id"] == "frontend-42"
    assert len(replaced.headers["x-request-id"]) == 32


def test_a_line_logged_while_serving_carries_the_request_id(
    client: TestClient, lines: io.StringIO, app_auth: AppAuth
) -> None:
    response = client.get("/status", params={"learner_id": "ada"}, headers=app_auth.bearer(None, "admin"))

    assert response.status_code == 503  # no sidecar here: the app logs why, then answers
    records = [record for record in _records(lines) if record["logger"].startswith("learnflow")]
    assert {record["logger"] for record in records} >= {"learnflow_common.problems", "learnflow.access"}
    assert {record["request_id"] for record in records} == {response.headers["x-request-id"]}


def _one_line(formatter: logging.Formatter, record: logging.LogRecord) -> dict[str, Any]:
    line = formatter.format(record)
    assert "\n" not in line
    parsed: dict[str, Any] = json.loads(line)
    return parsed


def test_a_line_has_the_record_the_fixed_fields_and_every_extra_field() -> None:
    record = logging.LogRecord("learnflow.test", logging.WARNING, __file__, 1, "moved %d of %s", (3, "ada"), None)
    record.__dict__.update(method="GET", when=datetime(2026, 12, 4, 23, 0, tzinfo=UTC), oddity=Path("/x"))

    fields = _one_line(JsonLines({"app_id": "user-progress"}), record)

    assert fields == {
        "level": "WARNING",
        "logger": "learnflow.test",
        "message": "moved 3 of ada",
        "app_id": "user-progress",
        "method": "GET",
        "when": "2026-12-04T23:00:00+00:00",
        "oddity": "/x",
        "timestamp": datetime.fromtimestamp(record.created, UTC).isoformat(),
    }


def test_an_exception_is_written_with_its_traceback_in_the_same_line() -> None:
    try:
        raise ValueError("the sidecar said no")
    except ValueError:
        record = logging.LogRecord("learnflow.test", logging.ERROR, __file__, 1, "failed", (), sys.exc_info())
    record.stack_info = "Stack (most recent call last):\n  here"

    fields = _one_line(JsonLines({}), record)

    assert fields["message"] == "failed"
    assert fields["exc_info"].startswith("Traceback (most recent call last):")
    assert fields["exc_info"].endswith("ValueError: the sidecar said no")
    assert fields["stack_info"] == record.stack_info


def test_an_exception_logged_while_serving_reaches_the_log_as_one_json_line(
    client: TestClient, lines: io.StringIO
) -> None:
    try:
        raise RuntimeError("boom")
    except RuntimeError:
        logging.getLogger("learnflow.test").exception("while serving")

    [record] = [record for record in _records(lines) if record["logger"] == "learnflow.test"]
    assert record["level"] == "ERROR"
    assert record["app_id"] == "user-progress"
    assert "RuntimeError: boom" in record["exc_info"]
