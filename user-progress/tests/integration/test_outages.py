"""Behaviour while the state store or the broker stops answering (their processes are frozen).

These tests freeze a real dependency of the running stack with SIGSTOP and thaw it afterwards;
each waits until the stack has recovered before it ends, so later tests see a healthy stack.
"""

from __future__ import annotations

import json
import time
from typing import Any

import httpx

from devstack.testing import RunningStack, eventually, lesson_generated, produce, read_topic

OUTAGE_TIMEOUT = 90.0


def _ready(stack: RunningStack) -> bool:
    return httpx.get(f"{stack.app_url('user-progress')}/readyz", timeout=10).status_code == 200


def test_state_store_outage_is_503_with_retry_after_changes_nothing_and_recovers(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    """The app stays ready meanwhile: out of the Service, clients would meet connection refused
    instead of this documented 503."""
    url = f"{stack.app_url('user-progress')}/update-progress"
    assert http.post(url, json=learning_event(learner)).status_code == 200
    during_outage = learning_event(learner, activity="exercise", score=75)

    with stack.frozen("postgres"):
        response = httpx.post(url, json=during_outage, timeout=OUTAGE_TIMEOUT, headers=stack.admin_headers)
        readiness = httpx.get(f"{stack.app_url('user-progress')}/readyz", timeout=OUTAGE_TIMEOUT)

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0
    assert readiness.status_code == 200

    def retry() -> httpx.Response | None:  # as a client told Retry-After does, until the store is back
        answer = http.post(url, json=during_outage)
        return answer if answer.status_code != 503 else None

    retried = eventually(retry, timeout=OUTAGE_TIMEOUT, interval=1)
    assert retried.status_code == 200
    assert retried.json()["events_recorded"] == 2  # recorded once, whether or not the first try landed


def test_broker_outage_keeps_events_in_the_outbox_and_publishes_them_after(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    url = f"{stack.app_url('user-progress')}/update-progress"
    event = learning_event(learner)

    with stack.frozen("kafka"):
        response = httpx.post(url, json=event, timeout=OUTAGE_TIMEOUT, headers=stack.admin_headers)

    assert response.status_code == 200  # the change is committed with its events; only publishing waits
    published, key = read_topic(
        stack.kafka_bootstrap,
        "progress-events",
        lambda value, _: (
            value.get("type") == "learnflow.progress.updated.v1"
            and value.get("data", {}).get("source_event_id") == event["event_id"]
        ),
        timeout=OUTAGE_TIMEOUT,
    )
    assert key == learner.encode()
    assert published["subject"] == learner


def test_sidecar_outage_is_503_with_retry_after_and_readiness_goes_false(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    url = f"{stack.app_url('user-progress')}/update-progress"
    event = learning_event(learner)

    with stack.frozen("user-progress-daprd"):
        readiness = httpx.get(f"{stack.app_url('user-progress')}/readyz", timeout=OUTAGE_TIMEOUT)
        response = httpx.post(url, json=event, timeout=OUTAGE_TIMEOUT, headers=stack.admin_headers)

    assert readiness.status_code == 503
    assert readiness.json()["checks"]["sidecar"] == "unreachable"
    assert response.status_code == 503
    assert response.json()["dependency"] == "dapr-sidecar"
    assert int(response.headers["retry-after"]) > 0
    eventually(lambda: _ready(stack), timeout=OUTAGE_TIMEOUT, interval=1)
    assert http.post(url, json=event).json()["events_recorded"] == 1


def test_a_lesson_event_delivered_during_a_state_store_outage_is_retried_not_dead_lettered(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    """An outage is answered RETRY: the delivery waits it out and is applied after, instead of
    going to lesson-events-dlq like a message that can never succeed."""
    assert (
        http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner)).status_code == 200
    )
    lesson = lesson_generated(learner)

    with stack.frozen("postgres"):
        produce(stack.kafka_bootstrap, "lesson-events", [json.dumps(lesson).encode()], key=learner)
        time.sleep(15)  # delivered, and answered RETRY, while the store does not answer

    eventually(lambda: _ready(stack), timeout=OUTAGE_TIMEOUT, interval=1)

    def assigned() -> int:  # 503 while the store's circuit breaker is still open after the outage
        status = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner})
        return int(status.json()["lessons_assigned"]) if status.status_code == 200 else 0

    assert eventually(lambda: assigned() == 1, timeout=OUTAGE_TIMEOUT)


def test_an_update_registers_the_outbox_reminder_with_its_commit_and_the_reminder_removes_itself_when_done(
    stack: RunningStack, http: httpx.Client, pg: Any, learner: str, learning_event: Any
) -> None:
    """The reminder that publishes events a dead process left in the outbox is registered before
    the update's commit (the flag is written by that commit); once it finds the outbox empty it
    unregisters itself, so idle learners cost the scheduler nothing."""
    flag = f"user-progress||learner~{learner}~outbox-reminder"

    def flag_stored() -> bool:
        return pg.execute("select 1 from state where key = %s", (flag,)).fetchone() is not None

    assert (
        http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner)).status_code == 200
    )

    assert flag_stored()
    assert eventually(lambda: not flag_stored(), timeout=OUTAGE_TIMEOUT)
