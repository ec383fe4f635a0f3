"""The end-to-end smoke (devstack.smoke) against in-memory stand-ins of both apps that keep the
promises it checks, and against ones that break one promise each: it passes the first and names
the broken promise of every other."""

from __future__ import annotations

import json
import re
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import parse_qs

import httpx
import pytest

from devstack.smoke import (
    KafkaMessage,
    SmokeFailure,
    SmokeResult,
    SmokeTarget,
    console_consumer_messages,
    first_match,
    forged,
    run_smoke,
)

PROGRESS, AGENT = "http://user-progress.test", "http://course-agent.test"


def token(subject: str, scopes: tuple[str, ...]) -> str:
    """A stand-in for a signed token: header, claims, and a signature the fake apps recognise."""
    return f"header.{subject}|{' '.join(scopes)}.signed"


@dataclass
class FakeSystem:
    """Both apps, their topics and the Course Agent's knowledge, in memory. Each flag breaks one promise."""

    challenge: bool = True
    others_may_read: bool = False
    counts_events: bool = True
    message_key: str | None = None
    agent_applies_progress: bool = True
    user_progress_counts_lessons: bool = True
    events: dict[str, list[dict[str, Any]]] = field(default_factory=dict)
    lessons: dict[str, int] = field(default_factory=dict)
    topics: dict[str, list[KafkaMessage]] = field(default_factory=dict)
    knowledge: dict[str, dict[str, Any]] = field(default_factory=dict)

    def target(self) -> SmokeTarget:
        return SmokeTarget(
            user_progress_url=PROGRESS,
            course_agent_url=AGENT,
            token=token,
            read_topic=lambda topic, match: first_match(self.topics.get(topic, []), match),
            agent_knowledge=self.knowledge.get,
            patience=0.05,
            poll_interval=0.01,
        )

    def run(self) -> SmokeResult:
        return run_smoke(self.target(), transport=httpx.MockTransport(self.handle))

    def publish(self, topic: str, learner: str, event_type: str, source: str, data: dict[str, Any]) -> None:
        key = (self.message_key or learner).encode()
        value = {
            "specversion": "1.0",
            "type": event_type,
            "source": source,
            "subject": learner,
            "datacontenttype": "application/json",
            "data": data,
        }
        self.topics.setdefault(topic, []).append(KafkaMessage(key, value))

    def handle(self, request: httpx.Request) -> httpx.Response:
        caller = self.caller(request)
        if caller is None:
            headers = {"WWW-Authenticate": 'Bearer realm="learnflow"'} if self.challenge else {}
            return httpx.Response(401, headers=headers, json={"title": "Unauthorized"})
        subject, scopes = caller
        query = {name: values[0] for name, values in parse_qs(request.url.query.decode()).items()}
        body = json.loads(request.content) if request.content else {}
        learner = query.get("learner_id") or body.get("learner_id")
        if learner is None and "admin" not in scopes:
            return httpx.Response(403)
        if learner not in (None, subject) and "admin" not in scopes and not self.others_may_read:
            return httpx.Response(403)
        route = (request.method, f"{request.url.scheme}://{request.url.host}", request.url.path)
        if route == ("POST", PROGRESS, "/update-progress"):
            return self.update_progress(body)
        if route == ("GET", PROGRESS, "/status"):
            recorded = len(self.events.get(learner or "", []))
            if not recorded and not self.others_may_read:
                return httpx.Response(404)
            lessons = self.lessons.get(learner or "", 0) if self.user_progress_counts_lessons else 0
            shown = recorded if self.counts_events else 0
            return httpx.Response(200, json={"events_recorded": shown, "lessons_assigned": lessons})
        if route == ("GET", AGENT, "/lessons"):
            return httpx.Response(200, json={"lessons": [], "next_cursor": None})
        if route == ("POST", AGENT, "/generate-lesson"):
            return self.generate_lesson(body["learner_id"])
        return httpx.Response(404)

    @staticmethod
    def caller(request: httpx.Request) -> tuple[str, tuple[str, ...]] | None:
        parts = request.headers.get("Authorization", "").removeprefix("Bearer ").split(".")
        if len(parts) != 3 or (parts[0], parts[2]) != ("header", "signed"):
            return None
        claims = parts[1]
        subject, _, scopes = claims.partition("|")
        return subject, tuple(scopes.split())

    def update_progress(self, event: dict[str, Any]) -> httpx.Response:
        learner = event["learner_id"]
        recorded = self.events.setdefault(learner, [])
        recorded.append(event)
        data = {
            "source_event_id": event["event_id"],
            "topic": event["topic"],
            "score": event["score"],
            "events_recorded": len(recorded),
        }
        self.publish("progress-events", learner, "learnflow.progress.updated.v1", "user-progress", data)
        if self.agent_applies_progress:
            scores = [each["score"] for each in recorded]
            topics = {event["topic"]: {"attempts": len(recorded), "scores": scores}}
            self.knowledge[learner] = {"topics": topics, "applied_through": len(recorded)}
        return httpx.Response(200, json={"events_recorded": len(recorded)})

    def generate_lesson(self, learner: str) -> httpx.Response:
        lesson = {"lesson_id": f"{learner}:1", "learner_id": learner, "topic": "control-flow"}
        self.publish("lesson-events", learner, "learnflow.lesson.generated.v1", "course-agent", lesson)
        self.lessons[learner] = self.lessons.get(learner, 0) + 1
        return httpx.Response(201, json=lesson, headers={"Location": f"/lessons/{lesson['lesson_id']}"})


def test_the_smoke_passes_against_apps_that_keep_their_promises() -> None:
    system = FakeSystem()

    result = system.run()

    assert result.lesson["learner_id"] == result.learner_id
    assert system.events[result.learner_id] == [result.progress_event]
    assert system.lessons == {result.learner_id: 1}


def test_the_smoke_says_each_step_and_each_authorisation_check_as_it_runs() -> None:
    said: list[str] = []
    system = FakeSystem()

    run_smoke(replace(system.target(), say=said.append), transport=httpx.MockTransport(system.handle))

    assert said[0].startswith("update progress of smoke-")
    assert "  GET /status of another learner: 403" in said
    assert "  GET /lessons of everyone as admin: 200" in said
    assert said[-1] == "end to end: OK"


@pytest.mark.parametrize(
    ("broken", "named"),
    [
        ({"counts_events": False}, "GET /status counts 0 events recorded, want 1"),
        ({"challenge": False}, "GET /status without a token: a 401 without a Bearer challenge"),
        ({"others_may_read": True}, "GET /status of another learner answered 200, want 403"),
        ({"message_key": "someone-else"}, "progress-events: keyed b'someone-else', not by the learner"),
        ({"agent_applies_progress": False}, "the Course Agent's knowledge of smoke-"),
        ({"user_progress_counts_lessons": False}, "counting the generated lesson: not within 0.05 s"),
    ],
)
def test_a_broken_promise_fails_the_smoke_naming_it(broken: dict[str, Any], named: str) -> None:
    with pytest.raises(SmokeFailure, match=re.escape(named)):
        FakeSystem(**broken).run()


def test_a_course_agent_that_applied_other_scores_fails_the_smoke() -> None:
    system = FakeSystem()
    other_scores = {"topics": {"control-flow": {"attempts": 1, "scores": [13]}}, "applied_through": 1}
    target = replace(system.target(), agent_knowledge=lambda learner: other_scores)

    with pytest.raises(SmokeFailure, match=r"knowledge of control-flow is .* want one attempt scored 72"):
        run_smoke(target, transport=httpx.MockTransport(system.handle))


def test_an_app_that_refuses_the_learner_fails_the_smoke_with_its_answer() -> None:
    def refusing(request: httpx.Request) -> httpx.Response:
        return httpx.Response(503, json={"title": "Service Unavailable"})

    with pytest.raises(SmokeFailure, match=r"POST /update-progress answered 503: .*Service Unavailable"):
        run_smoke(FakeSystem().target(), transport=httpx.MockTransport(refusing))


def test_a_forged_token_keeps_the_header_and_claims_and_replaces_the_signature() -> None:
    assert forged("aaa.bbb.ccc") == "aaa.bbb." + "A" * 86


def test_console_consumer_output_is_read_as_keyed_json_messages() -> None:
    output = "\n".join(
        [
            'ada\t{"subject": "ada", "type": "t"}',
            'null\t{"subject": "grace"}',
            "ada\tnot json",
            'ada\t["a list"]',
            "Processed a total of 4 messages",
        ]
    )

    assert console_consumer_messages(output) == [
        KafkaMessage(b"ada", {"subject": "ada", "type": "t"}),
        KafkaMessage(None, {"subject": "grace"}),
    ]


def test_the_first_message_that_matches_is_found_and_none_when_none_does() -> None:
    messages = [KafkaMessage(b"a", {"n": 1}), KafkaMessage(b"b", {"n": 2}), KafkaMessage(b"c", {"n": 2})]

    assert first_match(messages, lambda value: value["n"] == 2) == KafkaMessage(b"b", {"n": 2})
    assert first_match(messages, lambda value: value["n"] == 3) is None
