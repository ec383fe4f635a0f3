"""Events out on Kafka (read with a plain consumer), events in from lesson-events, dead letters."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from pathlib import Path
from typing import Any

import httpx
import jsonschema

from devstack.testing import RunningStack, deliveries, eventually, lesson_generated, produce, read_raw, read_topic
from learnflow_common.schemas import load_schema


def _published_types_for(
    stack: RunningStack, learner: str, wanted: set[str]
) -> dict[str, tuple[dict[str, Any], bytes]]:
    seen: dict[str, tuple[dict[str, Any], bytes]] = {}

    def match(value: dict[str, Any], key: bytes | None) -> bool:
        if value.get("subject") == learner and value.get("type") in wanted:
            seen[value["type"]] = (value, key or b"")
        return set(seen) == wanted

    read_topic(stack.kafka_bootstrap, "progress-events", match)
    return seen


def test_first_event_publishes_progress_achievement_and_streak_cloudevents_keyed_by_learner(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    event = learning_event(learner)
    assert http.post(f"{stack.app_url('user-progress')}/update-progress", json=event).status_code == 200
    wanted = {"learnflow.progress.updated.v1", "learnflow.achievement.unlocked.v1", "learnflow.streak.updated.v1"}

    seen = _published_types_for(stack, learner, wanted)

    for event_type, (cloud_event, key) in seen.items():
        assert key == learner.encode()
        assert cloud_event["specversion"] == "1.0"
        assert cloud_event["source"] == "user-progress"
        assert cloud_event["datacontenttype"] == "application/json"
        assert cloud_event["dataschema"].endswith(f"{event_type}.json")
        jsonschema.validate(cloud_event["data"], load_schema(event_type))
    assert seen["learnflow.progress.updated.v1"][0]["data"]["source_event_id"] == event["event_id"]
    assert seen["learnflow.achievement.unlocked.v1"][0]["data"]["achievement_id"] == "first-steps"
    assert seen["learnflow.streak.updated.v1"][0]["data"]["current"] == 1


def test_item_results_are_published_with_progress_updated_in_the_order_answered(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    items = [
        {"item_id": "variables-swap-2", "correct": False, "attempts": 3, "hints_used": 2},
        {"item_id": "variables-assign-1", "correct": True, "attempts": 1, "hints_used": 0},
    ]
    event = learning_event(learner, items=items)
    url = f"{stack.app_url('user-progress')}/update-progress"
    assert http.post(url, json=event).status_code == 200

    published = _published_types_for(stack, learner, {"learnflow.progress.updated.v1"})

    data = published["learnflow.progress.updated.v1"][0]["data"]
    jsonschema.validate(data, load_schema("learnflow.progress.updated.v1"))
    assert data["items"] == items
    assert http.post(url, json={**event, "items": items[:1]}).status_code == 409
    assert http.post(url, json=event).status_code == 200  # the same items: a duplicate


def _publish(stack: RunningStack, http: httpx.Client, topic: str, cloud_event: dict[str, Any], key: str) -> None:
    response = http.post(
        f"{stack.dapr_url('course-agent')}/v1.0/publish/pubsub/{topic}",
        params={"metadata.partitionKey": key},
        content=json.dumps(cloud_event),
        headers={**stack.dapr_headers, "content-type": "application/cloudevents+json"},
    )
    assert response.status_code == 204, response.text


def test_lesson_generated_event_is_tracked_for_the_learner_once(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner))
    lesson = lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}")

    _publish(stack, http, "lesson-events", lesson, learner)
    _publish(stack, http, "lesson-events", {**lesson, "id": str(uuid.uuid4())}, learner)  # a redelivery

    def assigned() -> int:
        status = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner}).json()
        return int(status["lessons_assigned"])

    assert eventually(assigned) == 1


def test_lesson_events_arrive_in_bulk_each_lesson_counted_once_and_a_poison_dead_lettered_alone(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    """bulkSubscribe (components/subscriptions.yaml): fewer deliveries than messages, the learner's
    lessons of a delivery in one actor call; a redelivery in the same batch counts nothing, and a
    message that can never succeed goes to lesson-events-dlq alone while the later ones are applied."""
    http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner))
    lessons = [lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}") for _ in range(12)]
    poison = lesson_generated(learner, "", data={"lesson_id": 7, "learner_id": learner})
    redelivered = {**lessons[0], "id": str(uuid.uuid4())}
    messages = [*lessons[:3], poison, *lessons[3:], redelivered]
    before = deliveries(http, stack.app_url("user-progress"), "/events/lesson-events")

    partitions = produce(
        stack.kafka_bootstrap, "lesson-events", [json.dumps(m).encode() for m in messages], key=learner
    )

    assert len(set(partitions)) == 1  # one partition: the later lessons queue behind the poison
    assert eventually(lambda: _lessons_assigned(stack, http, learner) == 12, timeout=60)
    read_topic(stack.kafka_bootstrap, "lesson-events-dlq", lambda value, _: value.get("id") == poison["id"])
    assert _lessons_assigned(stack, http, learner) == 12
    assert 0 < deliveries(http, stack.app_url("user-progress"), "/events/lesson-events") - before < len(messages)


def test_malformed_lesson_event_goes_to_the_dead_letter_topic(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    broken = lesson_generated(learner, "x", data={"lesson_id": "x", "learner_id": learner})

    _publish(stack, http, "lesson-events", broken, learner)

    dead, _ = read_topic(stack.kafka_bootstrap, "lesson-events-dlq", lambda value, _: value.get("id") == broken["id"])
    assert dead["type"] == "learnflow.lesson.generated.v1"


def test_a_lesson_event_from_an_app_that_does_not_own_the_type_goes_to_the_dead_letters_and_counts_nothing(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    """Written to Kafka by the owner's sidecar, so only the source check stands between it and the count."""
    http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner))
    forged = {**lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}"), "source": "exercise-agent"}

    _publish(stack, http, "lesson-events", forged, learner)

    dead, _ = read_topic(stack.kafka_bootstrap, "lesson-events-dlq", lambda value, _: value.get("id") == forged["id"])
    assert dead["source"] == "exercise-agent"
    assert _lessons_assigned(stack, http, learner) == 0


def test_an_app_may_publish_only_the_topics_it_owns_and_its_dead_letters(
    stack: RunningStack, http: httpx.Client
) -> None:
    """Topic scoping (components/pubsub.yaml): progress events are User Progress's to publish."""
    forged = {**lesson_generated("ada", f"ada~{uuid.uuid4().hex}"), "type": "learnflow.progress.updated.v1"}

    response = http.post(
        f"{stack.dapr_url('course-agent')}/v1.0/publish/pubsub/progress-events",
        content=json.dumps(forged),
        headers={**stack.dapr_headers, "content-type": "application/cloudevents+json"},
    )

    assert response.status_code == 403
    assert "not allowed" in response.text


def _lessons_assigned(stack: RunningStack, http: httpx.Client, learner: str) -> int:
    status = http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner}).json()
    return int(status["lessons_assigned"])


def test_poison_messages_reach_the_dead_letter_topic_and_later_messages_on_their_partition_still_flow(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    assert (
        http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner)).status_code == 200
    )
    invalid = lesson_generated(learner, "x", data={"lesson_id": "x", "learner_id": learner})
    nul = lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}\u0000")  # JSONB cannot store it
    oversized = lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}")
    oversized["data"]["title"] = "x" * 100_000  # over the app's 64 KB request limit
    not_json = f"not json at all {uuid.uuid4()}".encode()
    later = [lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}") for _ in range(2)]

    partitions = produce(
        stack.kafka_bootstrap,
        "lesson-events",
        [json.dumps(event).encode() for event in (invalid, nul, oversized)]
        + [not_json]
        + [json.dumps(event).encode() for event in later],
        key=learner,
    )

    assert len(set(partitions)) == 1  # one partition: the later messages queue behind the poison
    assert eventually(lambda: _lessons_assigned(stack, http, learner) == 2, timeout=90)
    for poison in (invalid, nul, oversized):
        read_topic(
            stack.kafka_bootstrap, "lesson-events-dlq", lambda value, _, wanted=poison["id"]: value.get("id") == wanted
        )
    read_raw(stack.kafka_bootstrap, "lesson-events-dlq", lambda value, _: value == not_json)


def test_a_poison_after_bytes_the_sidecar_cannot_parse_is_dead_lettered_itself_and_the_sidecars_keep_running(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    """daprd 1.18.1 dead-letters a DROPped entry by the wrong place after an unparsable one - here it
    stopped on an index out of range, and again at every restart: the apps move such a poison
    themselves (learnflow_common.subscriptions). Both services consume lesson-events."""
    assert (
        http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner)).status_code == 200
    )
    not_json = f"not json either {uuid.uuid4()}".encode()
    invalid = lesson_generated(learner, "x", data={"lesson_id": 7, "learner_id": learner})
    later = lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}")

    partitions = produce(
        stack.kafka_bootstrap,
        "lesson-events",
        [not_json, json.dumps(invalid).encode(), json.dumps(later).encode()],
        key=learner,
    )

    assert len(set(partitions)) == 1  # one partition: one batch for the Course Agent (it waits 200 ms)
    assert eventually(lambda: _lessons_assigned(stack, http, learner) == 1, timeout=90)
    moved = f"event {invalid['id']} moved to lesson-events-dlq by the app"
    logs = Path(stack.info["logs_dir"])
    assert eventually(
        lambda: any(moved in (logs / f"{app}.log").read_text() for app in ("user-progress", "course-agent"))
    )
    _, key = read_topic(stack.kafka_bootstrap, "lesson-events-dlq", lambda value, _: value.get("id") == invalid["id"])
    assert key == learner.encode()
    read_raw(stack.kafka_bootstrap, "lesson-events-dlq", lambda value, _: value == not_json)
    for app in ("user-progress", "course-agent"):
        assert http.get(f"{stack.dapr_url(app)}/v1.0/healthz").status_code == 204


def test_a_dead_letter_replayed_by_the_operator_tool_is_processed_once(
    stack: RunningStack, http: httpx.Client, learner: str, learning_event: Any
) -> None:
    """A valid event dead-lettered because the redeliveries of an outage ran out: after the outage
    the operator replays it from lesson-events-dlq onto lesson-events (README, "Dead letters")."""
    assert (
        http.post(f"{stack.app_url('user-progress')}/update-progress", json=learning_event(learner)).status_code == 200
    )
    lesson = lesson_generated(learner, f"{learner}~{uuid.uuid4().hex}")
    produce(stack.kafka_bootstrap, "lesson-events-dlq", [json.dumps(lesson).encode()], key=learner)

    for _ in range(2):  # replayed twice by mistake: consumers dedupe
        subprocess.run(
            [
                sys.executable,
                "tools/replay_dlq.py",
                "lesson-events",
                "--bootstrap",
                stack.kafka_bootstrap,
                "--id",
                lesson["id"],
            ],
            check=True,
            cwd=Path(__file__).resolve().parents[3],
        )

    assert eventually(lambda: _lessons_assigned(stack, http, learner) == 1)
    _, key = read_topic(stack.kafka_bootstrap, "lesson-events", lambda value, _: value.get("id") == lesson["id"])
    assert key == learner.encode()
