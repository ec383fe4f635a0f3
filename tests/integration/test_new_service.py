"""A service made by the fastapi-dapr-agent skill runs in the real stack with no hand edits: its
sidecar registers its actor type with placement and it receives the events published on its topic.

The service is generated into a temporary copy of the checkout and started next to the running
stack (its own app and sidecar, the stack's placement, scheduler, Kafka and PostgreSQL), so this
checkout never holds it; afterwards its state rows and Kafka consumer group are deleted too.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import httpx
import pytest

from devstack.config import AppSpec, load_apps
from devstack.stack import daprd_command
from devstack.testing import RunningStack, eventually
from learnflow_common.events import CloudEvent, ProgressUpdatedV1

REPO = Path(__file__).resolve().parents[2]
#: Unlikely to be taken by a real service; its sidecar gets 3590, 7190, 7290 and 9190.
NAME, PORT = "scaffold-probe", 8090
ACTOR_TYPE = "ScaffoldProbeLearnerActor"
PROGRESS_EVENTS = "progress-events"


def _start(argv: list[str], cwd: Path, env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    with log.open("wb") as output:
        return subprocess.Popen(argv, cwd=cwd, env=env, stdout=output, stderr=subprocess.STDOUT, start_new_session=True)


def _stop(process: subprocess.Popen[bytes]) -> None:
    """Stops a process this test started (its own session: the pid is its process group)."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(5)


def _start_consumer_group_at_the_end(bootstrap: str, group: str) -> None:
    """A service deployed into a running system starts at the end of its topic; the component's
    ``initialOffset: oldest`` would replay every progress event this stack has ever carried."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer({"bootstrap.servers": bootstrap, "group.id": group, "enable.auto.commit": False})
    try:
        topic = consumer.list_topics(PROGRESS_EVENTS, timeout=10).topics[PROGRESS_EVENTS]
        ends = [
            TopicPartition(
                PROGRESS_EVENTS,
                partition,
                consumer.get_watermark_offsets(TopicPartition(PROGRESS_EVENTS, partition), timeout=10)[1],
            )
            for partition in topic.partitions
        ]
        consumer.commit(offsets=ends, asynchronous=False)
    finally:
        consumer.close()


def _delete_consumer_group(bootstrap: str, group: str) -> None:
    """Retried: the broker refuses while the stopped sidecar's membership has not expired yet."""
    from confluent_kafka import KafkaError, KafkaException
    from confluent_kafka.admin import AdminClient

    admin = AdminClient({"bootstrap.servers": bootstrap})

    def deleted() -> bool:
        [future] = admin.delete_consumer_groups([group], request_timeout=10).values()
        try:
            future.result(timeout=15)
        except KafkaException as error:
            return bool(error.args[0].code() == KafkaError.GROUP_ID_NOT_FOUND)
        return True

    eventually(deleted, timeout=60, interval=2)


def _progress_event(learner_id: str) -> dict[str, Any]:
    """A learnflow.progress.updated.v1 CloudEvent from its owner, in a week long past (no live
    leaderboard sees it)."""
    data = ProgressUpdatedV1(
        learner_id=learner_id,
        source_event_id=f"probe-{uuid.uuid4().hex}",
        activity="lesson",
        topic="loops",
        completed_at=datetime(2020, 1, 1, 12, tzinfo=UTC),
        events_recorded=1,
        xp_earned=0,
        xp_total=0,
        level=1,
        topic_mastery=0,
        topic_level="Beginner",
        topic_next_review_at=None,
        week="2020-W01",
        week_xp=0,
    )
    event = CloudEvent.wrap(
        event_id=f"probe-{uuid.uuid4().hex}", source="user-progress", payload=data, subject=learner_id
    )
    return event.model_dump(mode="json", exclude_none=True)


@pytest.fixture
def generated(checkout: Path, tmp_path: Path, stack: RunningStack, pg: Any) -> Iterator[AppSpec]:
    """The service generated into a copy of the checkout (tests/conftest.py), running with its sidecar."""
    made = subprocess.run(
        [sys.executable, str(checkout / "tools/new_service.py"), "--repo", str(checkout), "add", NAME, str(PORT)],
        capture_output=True,
        text=True,
    )
    assert made.returncode == 0, made.stderr
    [app] = [app for app in load_apps(checkout) if app.app_id == NAME]
    tokens = stack.info["tokens"]
    daprd = Path(Path(f"/proc/{stack.pid('user-progress-daprd')}/cmdline").read_bytes().split(b"\0")[0].decode())
    placement, scheduler = stack.info["placement_address"], stack.info["scheduler_address"]

    _start_consumer_group_at_the_end(stack.kafka_bootstrap, NAME)
    app_process = _start(
        [sys.executable, "-m", NAME.replace("-", "_")],
        cwd=app.app_dir,
        env={
            **os.environ,
            **app.env,
            **tokens,
            **{name: value for name, value in stack.info["auth"].items() if name.startswith("AUTH_")},
            "PYTHONPATH": str(app.app_dir / "src"),
            "APP_ID": NAME,
            "APP_PORT": str(app.app_port),
            "DAPR_HTTP_PORT": str(app.dapr_http_port),
        },
        log=tmp_path / "app.log",
    )
    sidecar = _start(
        daprd_command(daprd.parent, app, placement, scheduler),
        cwd=checkout,
        env={
            **os.environ,
            **tokens,
            "KAFKA_BROKERS": stack.kafka_bootstrap,
            "POSTGRES_CONNECTION_STRING": stack.postgres_dsn,
        },
        log=tmp_path / "daprd.log",
    )
    try:
        yield app
    finally:
        _stop(sidecar)
        _stop(app_process)
        print((tmp_path / "daprd.log").read_text()[-3000:], (tmp_path / "app.log").read_text()[-3000:])  # on failure
        pg.execute("delete from state where key like %s", (f"{NAME}||%",))
        _delete_consumer_group(stack.kafka_bootstrap, NAME)


def test_generated_service_registers_with_placement_receives_its_topic_and_invokes_another_app(
    generated: AppSpec, stack: RunningStack, http: httpx.Client
) -> None:
    def registered() -> dict[str, Any] | None:
        try:
            runtime = http.get(f"{generated.dapr_url}/v1.0/metadata", headers=stack.dapr_headers).json()["actorRuntime"]
        except (httpx.HTTPError, KeyError, ValueError):
            return None
        types = {actor["type"] for actor in runtime.get("activeActors", [])}
        return runtime if runtime.get("placement") == "placement: connected" and ACTOR_TYPE in types else None

    assert eventually(registered, timeout=90)["hostReady"] is True
    assert eventually(lambda: http.get(f"{generated.app_url}/readyz").status_code == 200, timeout=60)

    learner = f"probe-{uuid.uuid4().hex[:12]}"

    # The topic is protected: the new service may subscribe to it, not publish to it.
    forged = http.post(
        f"{generated.dapr_url}/v1.0/publish/pubsub/{PROGRESS_EVENTS}",
        json=_progress_event(learner),
        headers={**stack.dapr_headers, "content-type": "application/cloudevents+json"},
    )
    assert forged.status_code == 403, forged.text

    def received() -> dict[str, Any] | None:
        """Publishes through the topic owner's sidecar until the event is back through the new
        service's subscription: its consumer group may still be joining the topic."""
        published = http.post(
            f"{stack.dapr_url('user-progress')}/v1.0/publish/pubsub/{PROGRESS_EVENTS}",
            params={"metadata.partitionKey": learner},
            json=_progress_event(learner),
            headers={**stack.dapr_headers, "content-type": "application/cloudevents+json"},
        )
        assert published.status_code == 204, published.text
        seen = http.get(f"{generated.app_url}/learners/{learner}")
        return seen.json() if seen.status_code == 200 else None

    seen = eventually(received, timeout=90, interval=3)

    assert seen["learner_id"] == learner
    assert seen["events_seen"] >= 1
    assert seen["last_topic"] == "loops"
    # Service invocation through both sidecars: user-progress has no status for this learner.
    upstream = http.get(f"{generated.app_url}/learners/{learner}/status")
    assert upstream.status_code == 404
    assert upstream.headers["content-type"] == "application/problem+json"


def test_this_checkout_never_holds_the_generated_service() -> None:
    status = subprocess.run(["git", "status", "--porcelain"], cwd=REPO, capture_output=True, text=True).stdout

    assert NAME not in status
    assert not (REPO / NAME).exists()
