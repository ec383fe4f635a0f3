"""One request is one trace: across both services, their sidecars and Kafka, in the stack's sink."""

from __future__ import annotations

import secrets
import uuid
from typing import Any

import httpx

from devstack.testing import RunningStack, eventually

APPS = ("course-agent", "user-progress")


def _connected(spans: list[dict[str, Any]], root: str) -> bool:
    """Every span descends from ``root`` (the caller's span) through its parents."""
    parents = {span["span_id"]: span["parent_span_id"] for span in spans}
    for span_id in parents:
        seen = set()
        while span_id in parents and span_id not in seen:
            seen.add(span_id)
            span_id = parents[span_id]
        if span_id != root:
            return False
    return True


def _delivered(spans: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """User Progress's handling of the lesson event, once all of it has arrived."""
    return [
        span for span in spans if span["service"] == "user-progress" and span["name"] == "POST /events/lesson-events"
    ]


def test_a_generated_lesson_is_one_trace_from_the_request_through_kafka_to_the_other_service(
    stack: RunningStack, http: httpx.Client
) -> None:
    learner = f"trace-{uuid.uuid4().hex[:12]}"
    trace_id, caller_span = secrets.token_hex(16), secrets.token_hex(8)

    created = http.post(
        f"{stack.app_url('course-agent')}/generate-lesson",
        json={"learner_id": learner},
        headers={**stack.bearer(learner), "traceparent": f"00-{trace_id}-{caller_span}-01"},
        timeout=60,
    )
    assert created.status_code == 201, created.text

    eventually(lambda: _delivered(stack.spans(trace_id)), timeout=60)
    spans = eventually(lambda: (found := stack.spans(trace_id)) and _connected(found, caller_span) and found)
    by_id = {span["span_id"]: span for span in spans}

    [request] = [span for span in spans if span["parent_span_id"] == caller_span]
    assert (request["service"], request["name"], request["kind"]) == ("course-agent", "POST /generate-lesson", "server")
    # each app's spans and its sidecar's (the Go SDK of daprd) are in the trace
    assert {(span["service"], span["scope"] == "dapr-diagnostics") for span in spans} == {
        (app, by_sidecar) for app in APPS for by_sidecar in (True, False)
    }
    published = [span for span in spans if span["service"] == "course-agent" and "publish" in span["name"]]
    assert published, "course-agent's sidecar traced publishing the lesson event"
    received = [
        span
        for span in spans
        if span["service"] == "user-progress"
        and span["name"] == "pubsub/lesson-events"
        and by_id[span["parent_span_id"]]["service"] == "course-agent"
    ]
    assert received, "user-progress's sidecar continued the trace the event carried through Kafka"
    [delivery] = _delivered(spans)
    assert by_id[delivery["parent_span_id"]] in received
