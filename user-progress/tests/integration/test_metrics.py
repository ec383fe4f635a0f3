"""Each app's /metrics against the real stack: an update is counted where it went - the route, the
learner's actor, its outbox - and the Course Agent counts the event it consumed."""

from __future__ import annotations

import re
from typing import Any

import httpx

from devstack.testing import RunningStack, eventually


def _value(text: str, name: str, **labels: str) -> float:
    """The sample of ``name`` whose labels include ``labels`` (0 when there is none)."""
    for line in text.splitlines():
        match = re.fullmatch(r"([a-zA-Z_:][\w:]*)(?:\{(.*)\})? (\S+)", line)
        if match is None or match.group(1) != name:
            continue
        found = dict(re.findall(r'(\w+)="([^"]*)"', match.group(2) or ""))
        if labels.items() <= found.items():
            return float(match.group(3))
    return 0.0


def test_an_update_is_counted_by_route_actor_outbox_and_consumer(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    user_progress, course_agent = stack.app_url("user-progress"), stack.app_url("course-agent")
    before = http.get(f"{user_progress}/metrics").text
    consumed_before = _value(
        http.get(f"{course_agent}/metrics").text,
        "learnflow_events_consumed_total",
        type="learnflow.progress.updated.v1",
        outcome="SUCCESS",
    )

    assert http.post(f"{user_progress}/update-progress", json=learning_event(learner)).status_code == 200

    after = http.get(f"{user_progress}/metrics").text
    route = {"handler": "/update-progress", "method": "POST", "status": "2xx"}
    assert _value(after, "http_requests_total", **route) == _value(before, "http_requests_total", **route) + 1
    actor = {"actor_type": "LearnerProgressActor", "method": "RecordEventForStatus"}
    assert (
        _value(after, "learnflow_actor_call_seconds_count", **actor)
        >= _value(before, "learnflow_actor_call_seconds_count", **actor) + 1
    )
    published_before = _value(before, "learnflow_outbox_events_total", outcome="published")
    eventually(  # published once the update has answered (the outbox publishes after the answer)
        lambda: (
            _value(http.get(f"{user_progress}/metrics").text, "learnflow_outbox_events_total", outcome="published")
            >= published_before + 1
        )
    )
    eventually(
        lambda: (
            _value(
                httpx.get(f"{course_agent}/metrics").text,
                "learnflow_events_consumed_total",
                type="learnflow.progress.updated.v1",
                outcome="SUCCESS",
            )
            > consumed_before
        )
    )
