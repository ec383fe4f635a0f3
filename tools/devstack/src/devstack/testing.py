"""Pytest plugin (loaded by the root pyproject): marks integration tests and gives them the stack.

Integration tests never start infrastructure themselves and never skip: ``make test`` starts the
stack first; without one they fail and say how to start it.
"""

from __future__ import annotations

import json
import os
import signal
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any, TypeVar

import httpx
import pytest

from devstack import smoke
from devstack.auth import DevIssuer
from devstack.config import find_repo_root, info_file, stack_dir

if TYPE_CHECKING:
    from pydantic_settings import BaseSettings

SettingsT = TypeVar("SettingsT", bound="BaseSettings")


@dataclass(frozen=True)
class RunningStack:
    info: dict[str, Any]

    def app_url(self, app_id: str) -> str:
        return str(self.info["apps"][app_id]["app_url"])

    def dapr_url(self, app_id: str) -> str:
        return str(self.info["apps"][app_id]["dapr_url"])

    @property
    def dapr_headers(self) -> dict[str, str]:
        return {"dapr-api-token": self.info["tokens"]["DAPR_API_TOKEN"]}

    @property
    def app_headers(self) -> dict[str, str]:
        """What the sidecar sends to its app on Dapr-facing routes."""
        return {"dapr-api-token": self.info["tokens"]["APP_API_TOKEN"]}

    @property
    def issuer(self) -> DevIssuer:
        """The stack's development token issuer (the apps trust its JWKS)."""
        auth = self.info["auth"]
        return DevIssuer(Path(auth["signing_key_file"]).parent, auth["AUTH_ISSUER"], auth["AUTH_AUDIENCE"])

    def bearer(self, learner: str | None = None, *scopes: str) -> dict[str, str]:
        """An Authorization header: a learner's token, or with ``"admin"`` an operator's."""
        return {"Authorization": f"Bearer {self.issuer.token(learner or 'operator', scopes)}"}

    @property
    def admin_headers(self) -> dict[str, str]:
        return self.bearer(None, "admin")

    @property
    def kafka_bootstrap(self) -> str:
        return str(self.info["kafka_bootstrap"])

    @property
    def postgres_dsn(self) -> str:
        return str(self.info["postgres_dsn"])

    def spans(self, trace_id: str) -> list[dict[str, Any]]:
        """The spans of one trace the stack's trace sink has received so far (devstack.otlp_sink)."""
        current = Path(self.info["traces_file"])
        previous = current.with_name(f"{current.name}.1")  # rotated away (devstack.otlp_sink.SpanFile)
        text = (previous.read_text() if previous.exists() else "") + current.read_text()
        lines = text.split("\n")[:-1]  # the last one may be half written
        return [span for span in map(json.loads, lines) if span["trace_id"] == trace_id]

    def pid(self, process: str) -> int:
        """The pid (and process group) of one process of the stack, e.g. ``postgres`` or ``kafka``."""
        return int((Path(self.info["pids_dir"]) / f"{process}.pid").read_text().split()[0])

    @contextmanager
    def frozen(self, process: str) -> Iterator[None]:
        """Freezes a process and all its descendants (SIGSTOP) for the duration: a dependency that
        stops answering. Descendants too: PostgreSQL backends leave the postmaster's process group."""
        tree = [self.pid(process), *_descendants(self.pid(process))]
        for pid in tree:
            os.kill(pid, signal.SIGSTOP)
        try:
            yield
        finally:
            for pid in tree:
                with suppress(ProcessLookupError):
                    os.kill(pid, signal.SIGCONT)


def _descendants(root: int) -> list[int]:
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with suppress(OSError):
            fields = stat.read_text().rsplit(")", 1)[1].split()
            parents[int(stat.parent.name)] = int(fields[1])
    found, frontier = [], [root]
    while frontier:
        children = [pid for pid, parent in parents.items() if parent in frontier]
        found += children
        frontier = children
    return found


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        if "integration" in Path(str(item.fspath)).parts:
            item.add_marker(pytest.mark.integration)


@pytest.fixture(scope="session")
def stack() -> RunningStack:
    info_path = info_file(stack_dir(find_repo_root()))
    try:
        info = json.loads(info_path.read_text())
    except (OSError, ValueError):
        pytest.fail(
            f"the local stack is not running (no {info_path}). Integration tests need it: "
            "run `make test` (starts it), or `make up` then pytest.",
            pytrace=False,
        )
    return RunningStack(info)


@pytest.fixture
def http(stack: RunningStack) -> Iterator[httpx.Client]:
    """A client of the stack's apps with an operator's token (any learner); tests of who may do
    what send their own Authorization header, or use :func:`anonymous`."""
    with httpx.Client(timeout=15, headers=stack.admin_headers) as client:
        yield client


@pytest.fixture
def anonymous() -> Iterator[httpx.Client]:
    with httpx.Client(timeout=15) as client:
        yield client


@dataclass(frozen=True)
class AppAuth:
    """What a unit test needs to build an app that checks tokens, and to make them."""

    issuer: DevIssuer
    env: dict[str, str]

    def bearer(self, learner: str | None = None, *scopes: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {self.issuer.token(learner or 'operator', scopes)}"}

    def settings(self, settings_type: type[SettingsT], app_id: str, **extra: Any) -> SettingsT:
        """An app's settings for a test without a sidecar: test tokens, this issuer, ``extra``."""
        values: dict[str, Any] = {
            "APP_ID": app_id,
            "APP_PORT": 1,
            "DAPR_HTTP_PORT": 1,
            "DAPR_API_TOKEN": "dapr-token-for-tests",
            "APP_API_TOKEN": "app-token-for-tests",
            **self.env,
            **extra,
        }
        return settings_type(**values)


@pytest.fixture
def app_auth(tmp_path: Path) -> AppAuth:
    """A fresh development issuer in ``tmp_path`` and the app settings' variables that trust it."""
    issuer = DevIssuer(tmp_path / "auth").ensure()
    return AppAuth(issuer, {**issuer.app_env, "PSEUDONYM_KEY": "unit-test-pseudonym-key"})


@pytest.fixture
def pg(stack: RunningStack) -> Iterator[Any]:
    """A plain PostgreSQL connection to the stack's database (autocommit)."""
    import psycopg

    with psycopg.connect(stack.postgres_dsn, autocommit=True) as connection:
        yield connection


def eventually(check: Callable[[], Any], timeout: float = 60.0, interval: float = 0.2) -> Any:
    """Polls ``check`` until it returns a truthy value (returned) or the timeout (AssertionError)."""
    return smoke.eventually(check, "condition", timeout, interval)


def read_topic(
    bootstrap: str, topic: str, match: Callable[[dict[str, Any], bytes | None], bool], timeout: float = 60.0
) -> tuple[dict[str, Any], bytes | None]:
    """Reads ``topic`` (from :data:`READ_FROM_SECONDS_AGO` ago) with a plain Kafka consumer until a
    JSON message matches (values that are not JSON, e.g. poison messages of a test, are skipped)."""

    def json_match(value: bytes, key: bytes | None) -> bool:
        try:
            decoded = json.loads(value)
        except ValueError:
            return False
        return isinstance(decoded, dict) and match(decoded, key)

    value, key = read_raw(bootstrap, topic, json_match, timeout)
    return json.loads(value), key


#: How far back a test reads a topic. A stack that served benchmarks holds millions of events
#: (progress-events: ~1 GB after a day's sittings): read from the beginning, a test's own event was
#: not reached within its timeout. A test reads what it caused within the last minutes.
READ_FROM_SECONDS_AGO = 900.0


def read_raw(
    bootstrap: str,
    topic: str,
    match: Callable[[bytes, bytes | None], bool],
    timeout: float = 60.0,
    since_seconds: float = READ_FROM_SECONDS_AGO,
) -> tuple[bytes, bytes | None]:
    """Reads ``topic`` with a plain Kafka consumer, from ``since_seconds`` ago (by the messages'
    timestamps), until a message's bytes match."""
    from confluent_kafka import Consumer, TopicPartition

    consumer = Consumer(
        {
            "bootstrap.servers": bootstrap,
            "group.id": f"test-reader-{time.monotonic_ns()}",
            "auto.offset.reset": "earliest",
            "enable.auto.commit": False,
        }
    )
    since_ms = int((time.time() - since_seconds) * 1000)

    def from_since(consumer: Consumer, partitions: list[TopicPartition]) -> None:
        """Each partition from its first message at or after ``since_ms`` (its end if none is)."""
        wanted = [TopicPartition(p.topic, p.partition, since_ms) for p in partitions]
        consumer.assign(consumer.offsets_for_times(wanted, timeout=10))

    consumer.subscribe([topic], on_assign=from_since)
    deadline = time.monotonic() + timeout
    try:
        while time.monotonic() < deadline:
            message = consumer.poll(0.5)
            if message is None or message.error():
                continue
            if match(message.value() or b"", message.key()):
                return message.value() or b"", message.key()
    finally:
        consumer.close()
    raise AssertionError(f"no matching message on {topic} within {timeout}s")


def cloud_event(event_type: str, source: str, subject: str, data: dict[str, Any]) -> dict[str, Any]:
    """A CloudEvent envelope as an app's sidecar publishes it, with a new id."""
    return {
        "specversion": "1.0",
        "id": str(uuid.uuid4()),
        "source": source,
        "type": event_type,
        "subject": subject,
        "datacontenttype": "application/json",
        "data": data,
    }


def lesson_generated(
    learner: str,
    lesson_id: str | None = None,
    *,
    created_at: datetime | None = None,
    data: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """A ``lesson.generated.v1`` CloudEvent as the Course Agent publishes it (a new id each time; a
    new lesson id unless given; ``data`` replaces the event's data whole, e.g. for a poison message)."""
    return cloud_event(
        "learnflow.lesson.generated.v1",
        "course-agent",
        learner,
        data
        or {
            "lesson_id": lesson_id or f"{learner}~{uuid.uuid4().hex}",
            "learner_id": learner,
            "topic": "loops",
            "difficulty": "beginner",
            "title": "Loops for beginners",
            "rationale": "next topic: its prerequisites are mastered",
            "generator": "builtin",
            "created_at": (created_at or datetime.now(UTC)).isoformat(),
        },
    )


def deliveries(http: Any, app_url: str, route: str) -> float:
    """How many deliveries an app's sidecar has made to its subscription ``route`` (e.g.
    ``/events/lesson-events``), from the app's HTTP metrics: a bulk delivery counts once."""
    text = http.get(f"{app_url}/metrics").text
    return sum(
        float(line.rsplit(" ", 1)[1])
        for line in text.splitlines()
        if line.startswith("http_requests_total{") and f'handler="{route}"' in line
    )


def produce(bootstrap: str, topic: str, values: list[bytes], key: str) -> list[int]:
    """Publishes raw messages with a plain Kafka producer, in order, all with ``key``; returns the
    partition each landed on (the same for one key)."""
    from confluent_kafka import Producer

    producer = Producer({"bootstrap.servers": bootstrap, "enable.idempotence": True})
    partitions: list[int] = []

    def delivered(error: Any, message: Any) -> None:
        assert error is None, error
        partitions.append(message.partition())

    for value in values:
        producer.produce(topic, value=value, key=key.encode(), on_delivery=delivered)
    assert producer.flush(30) == 0, "the broker did not acknowledge every message"
    return partitions
