"""The end-to-end smoke: one new learner's way through both services, checked from outside.

Written once for every place the system runs: the local stack (tests/integration/test_stack.py)
and a cluster (`make verify`, phase-3-backend-services/verify.py). A caller says where the two apps
answer, how to get a token, and how to read a Kafka topic and the Course Agent's stored knowledge
there (:class:`SmokeTarget`); :func:`run_smoke` does the rest:

1. the learner records a learning event (POST /update-progress) and reads their status (one event);
2. authentication and authorisation on both apps: no token or a forged one is 401 with a Bearer
   challenge, another learner is 403, the lesson feed of everyone needs the admin scope;
3. the progress event is a CloudEvent on ``progress-events``, keyed by the learner, and the Course
   Agent applied it to its knowledge of the learner;
4. the learner generates a lesson (201); its event is a CloudEvent on ``lesson-events`` and User
   Progress counts the lesson in the learner's status.

A failed check raises :class:`SmokeFailure` saying which and what was answered.
"""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Callable, Iterable
from contextlib import suppress
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from typing import Any, TypeVar

import httpx

from learnflow_common.auth import ADMIN_SCOPE
from learnflow_common.events import COURSE_AGENT, LESSON_EVENTS_TOPIC, PROGRESS_EVENTS_TOPIC, USER_PROGRESS
from learnflow_common.events.lesson import LessonGeneratedV1
from learnflow_common.events.progress import ProgressUpdatedV1

T = TypeVar("T")


class SmokeFailure(AssertionError):
    """A check of the smoke failed (an AssertionError, so pytest reports it as one)."""


@dataclass(frozen=True)
class KafkaMessage:
    """A message as a plain consumer sees it: its key and its JSON value."""

    key: bytes | None
    value: dict[str, Any]


#: A bearer token for a subject with scopes (e.g. ``DevIssuer.token``).
TokenSource = Callable[[str, tuple[str, ...]], str]
#: Reads a topic from the beginning once: the first message whose JSON value matches, or None.
TopicReader = Callable[[str, Callable[[dict[str, Any]], bool]], KafkaMessage | None]
#: The Course Agent's stored knowledge of a learner (its plain state key ``plan~<learner>~knowledge``), None
#: while it has none.
KnowledgeReader = Callable[[str], dict[str, Any] | None]


def first_match(messages: Iterable[KafkaMessage], match: Callable[[dict[str, Any]], bool]) -> KafkaMessage | None:
    return next((message for message in messages if match(message.value)), None)


def console_consumer_messages(output: str) -> list[KafkaMessage]:
    """The messages Kafka's console consumer printed with ``print.key=true`` (key, a tab, value; a
    key of ``null`` is none); values that are not a JSON object are left out."""
    messages = []
    for line in output.splitlines():
        key, separator, value = line.partition("\t")
        with suppress(ValueError):
            decoded = json.loads(value)
            if separator and isinstance(decoded, dict):
                messages.append(KafkaMessage(None if key == "null" else key.encode(), decoded))
    return messages


def _quiet(line: str) -> None:
    """Says nothing: the smoke's default reporter."""


@dataclass(frozen=True)
class SmokeTarget:
    """Where the smoke runs and how it reaches what it checks there."""

    user_progress_url: str
    course_agent_url: str
    token: TokenSource
    read_topic: TopicReader
    agent_knowledge: KnowledgeReader
    #: Told each step and check as it runs (a line of text).
    say: Callable[[str], None] = _quiet
    #: How long an effect delivered through Kafka may take to show.
    patience: float = 60.0
    #: How often to look again meanwhile.
    poll_interval: float = 0.5
    #: Per request; generating a lesson may take twice as long.
    http_timeout: float = 30.0


@dataclass(frozen=True)
class SmokeResult:
    """What the smoke made, for a caller's own checks after it."""

    learner_id: str
    progress_event: dict[str, Any]
    lesson: dict[str, Any]


#: The learning event the smoke records: graded, so the Course Agent's knowledge has a score.
ACTIVITY, TOPIC, SCORE = "exercise", "control-flow", 72
#: completed_at is given in a zone other than UTC, as clients in it send it.
CLIENT_ZONE = timezone(timedelta(hours=9))


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


def forged(token: str) -> str:
    """The token with its signature replaced: well formed, signed by nobody."""
    return token[: token.rindex(".") + 1] + "A" * 86


def learning_event(learner_id: str, now: datetime) -> dict[str, Any]:
    return {
        "event_id": f"smoke-{uuid.uuid4()}",
        "learner_id": learner_id,
        "activity": ACTIVITY,
        "topic": TOPIC,
        "score": SCORE,
        "completed_at": now.astimezone(CLIENT_ZONE).isoformat(),
    }


def expect(condition: bool, message: str) -> None:
    if not condition:
        raise SmokeFailure(message)


def answered(response: httpx.Response) -> str:
    request = response.request
    return f"{request.method} {request.url.path} answered {response.status_code}: {response.text[:300]}"


def eventually(check: Callable[[], T | None], what: str, timeout: float, interval: float = 0.2) -> T:
    """Polls ``check`` until it returns a truthy value (returned); SmokeFailure naming ``what`` if
    none comes within ``timeout`` seconds."""
    deadline = time.monotonic() + timeout
    last = check()
    while not last:
        if time.monotonic() > deadline:
            raise SmokeFailure(f"{what}: not within {timeout:g} s (last seen: {last!r})")
        time.sleep(interval)
        last = check()
    return last


def run_smoke(target: SmokeTarget, transport: httpx.BaseTransport | None = None) -> SmokeResult:
    """The whole flow for a new learner, against ``target`` (``transport``: for tests of the smoke)."""
    learner = f"smoke-{uuid.uuid4().hex[:10]}"
    with httpx.Client(timeout=target.http_timeout, transport=transport) as client:
        smoke = _Smoke(target, client, learner)
        event = smoke.record_progress()
        smoke.auth_is_enforced()
        published = smoke.progress_event_is_published(event)
        smoke.course_agent_applied(published)
        lesson = smoke.generate_lesson()
        smoke.lesson_event_is_published(lesson)
        smoke.user_progress_counts_the_lesson()
    target.say("end to end: OK")
    return SmokeResult(learner, event, lesson)


@dataclass(frozen=True)
class _Smoke:
    target: SmokeTarget
    client: httpx.Client
    learner: str

    @property
    def as_learner(self) -> dict[str, str]:
        return bearer(self.target.token(self.learner, ()))

    def status(self) -> dict[str, Any]:
        response = self.client.get(
            f"{self.target.user_progress_url}/status", params={"learner_id": self.learner}, headers=self.as_learner
        )
        expect(response.status_code == 200, answered(response))
        status: dict[str, Any] = response.json()
        return status

    def record_progress(self) -> dict[str, Any]:
        self.target.say(f"update progress of {self.learner}, then read the status")
        event = learning_event(self.learner, datetime.now(CLIENT_ZONE))
        response = self.client.post(
            f"{self.target.user_progress_url}/update-progress", json=event, headers=self.as_learner
        )
        expect(response.status_code == 200, answered(response))
        recorded = self.status()["events_recorded"]
        expect(recorded == 1, f"GET /status counts {recorded} events recorded, want 1")
        return event

    def auth_is_enforced(self) -> None:
        """401 without a token (or with a forged one), 403 for another learner or the global feed; the
        owner and the admin get 200 (the learner has recorded progress)."""
        self.target.say("authentication: no token 401, another learner 403, the global feed admin only")
        progress, agent = self.target.user_progress_url, self.target.course_agent_url
        learner, other = self.learner, f"{self.learner}-other"
        own = self.target.token(learner, ())
        admin = self.target.token("smoke-operator", (ADMIN_SCOPE,))
        checks = [
            ("GET /status without a token", progress, "/status", {"learner_id": learner}, {}, 401),
            ("GET /status with a forged signature", progress, "/status", {"learner_id": learner}, bearer(forged(own)),
             401),
            ("GET /status of another learner", progress, "/status", {"learner_id": other}, bearer(own), 403),
            ("GET /status of the learner themself", progress, "/status", {"learner_id": learner}, bearer(own), 200),
            ("GET /status of the learner as admin", progress, "/status", {"learner_id": learner}, bearer(admin), 200),
            ("GET /lessons without a token", agent, "/lessons", {"learner_id": learner}, {}, 401),
            ("GET /lessons of another learner", agent, "/lessons", {"learner_id": other}, bearer(own), 403),
            ("GET /lessons of everyone as a learner", agent, "/lessons", {}, bearer(own), 403),
            ("GET /lessons of everyone as admin", agent, "/lessons", {}, bearer(admin), 200),
        ]  # fmt: skip
        for name, base, path, params, headers, want in checks:
            response = self.client.get(f"{base}{path}", params=params, headers=headers)
            self.target.say(f"  {name}: {response.status_code}")
            expect(response.status_code == want, f"{name} answered {response.status_code}, want {want}: "
                                                 f"{response.text[:300]}")  # fmt: skip
            if want == 401:
                challenge = response.headers.get("www-authenticate", "")
                expect(challenge.startswith("Bearer"), f"{name}: a 401 without a Bearer challenge ({challenge!r})")

    def published(self, topic: str, event_type: str) -> KafkaMessage:
        """The learner's event of ``event_type`` on ``topic``, a CloudEvent keyed by the learner."""

        def the_learners(value: dict[str, Any]) -> bool:
            return value.get("subject") == self.learner and value.get("type") == event_type

        message = eventually(
            lambda: self.target.read_topic(topic, the_learners),
            f"{event_type} of {self.learner} on {topic}",
            self.target.patience,
            self.target.poll_interval,
        )
        value = message.value
        expect(message.key == self.learner.encode(), f"{topic}: keyed {message.key!r}, not by the learner")
        expect(value.get("specversion") == "1.0", f"{topic}: not a CloudEvent 1.0: {value}")
        expect(value.get("datacontenttype") == "application/json", f"{topic}: data is not JSON: {value}")
        return message

    def progress_event_is_published(self, event: dict[str, Any]) -> dict[str, Any]:
        self.target.say(f"read the learner's event from {PROGRESS_EVENTS_TOPIC} with a plain Kafka consumer")
        value = self.published(PROGRESS_EVENTS_TOPIC, ProgressUpdatedV1.EVENT_TYPE).value
        data = value["data"]
        expect(value["source"] == USER_PROGRESS, f"{PROGRESS_EVENTS_TOPIC}: source {value['source']!r}")
        expect(
            (data["source_event_id"], data["topic"], data["score"]) == (event["event_id"], TOPIC, SCORE),
            f"{PROGRESS_EVENTS_TOPIC}: the event says {data}, not what was recorded ({event})",
        )
        return value

    def course_agent_applied(self, published: dict[str, Any]) -> None:
        self.target.say("the Course Agent applied the progress event to its knowledge of the learner")
        knowledge = eventually(
            lambda: self.target.agent_knowledge(self.learner),
            f"the Course Agent's knowledge of {self.learner}",
            self.target.patience,
            self.target.poll_interval,
        )
        seen = knowledge.get("topics", {}).get(TOPIC, {})
        expect(
            (seen.get("attempts"), seen.get("scores")) == (1, [SCORE]),
            f"the Course Agent's knowledge of {TOPIC} is {seen}, want one attempt scored {SCORE}",
        )
        applied, recorded = knowledge.get("applied_through"), published["data"]["events_recorded"]
        expect(applied == recorded, f"the Course Agent applied events through {applied}, want {recorded}")

    def generate_lesson(self) -> dict[str, Any]:
        self.target.say("generate a lesson")
        response = self.client.post(
            f"{self.target.course_agent_url}/generate-lesson",
            json={"learner_id": self.learner},
            headers=self.as_learner,
            timeout=2 * self.target.http_timeout,
        )
        expect(response.status_code == 201, answered(response))
        lesson: dict[str, Any] = response.json()
        return lesson

    def lesson_event_is_published(self, lesson: dict[str, Any]) -> None:
        self.target.say(f"read the learner's event from {LESSON_EVENTS_TOPIC} with a plain Kafka consumer")
        value = self.published(LESSON_EVENTS_TOPIC, LessonGeneratedV1.EVENT_TYPE).value
        expect(value["source"] == COURSE_AGENT, f"{LESSON_EVENTS_TOPIC}: source {value['source']!r}")
        published, generated = value["data"]["lesson_id"], lesson["lesson_id"]
        expect(published == generated, f"{LESSON_EVENTS_TOPIC}: event of lesson {published!r}, not {generated!r}")

    def user_progress_counts_the_lesson(self) -> None:
        self.target.say("User Progress counts the lesson in the learner's status")
        eventually(
            lambda: self.status()["lessons_assigned"] == 1,
            f"GET /status of {self.learner} counting the generated lesson",
            self.target.patience,
            self.target.poll_interval,
        )
