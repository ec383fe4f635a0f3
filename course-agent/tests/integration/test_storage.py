"""Bounded Course Agent storage through the real stack: keyset paging under inserts, idempotency,
first-release values converted on first touch, the old feed moved into its index, progress
redeliveries applied once."""

from __future__ import annotations

import asyncio
import json
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from course_agent.adapters import feed
from course_agent.adapters.knowledge import fold_stored, knowledge_key
from course_agent.content import curriculum
from course_agent.domain.generator import choose, compose
from course_agent.layout import SUMMARY_FIELDS
from course_agent.planning import lesson_id_for
from devstack.testing import RunningStack, deliveries, eventually, lesson_generated, produce
from learnflow_common.dapr import DaprSidecar
from learnflow_common.dapr.sidecar import Versioned
from learnflow_common.events import ProgressUpdatedV1

ACTOR_KEY = "course-agent||LearnerPlanActor||{learner}||{key}"


@pytest.fixture
def learner() -> str:
    return f"learner-{uuid.uuid4().hex[:12]}"


def _generate(stack: RunningStack, http: httpx.Client, replay: bool = False, **body: Any) -> dict[str, Any]:
    """A lesson generated (201), or with ``replay`` the one this request_id already made (200)."""
    response = http.post(f"{stack.app_url('course-agent')}/generate-lesson", json=body)
    assert response.status_code == (200 if replay else 201), response.text
    return dict(response.json())


def _lessons(stack: RunningStack, http: httpx.Client, **params: Any) -> dict[str, Any]:
    response = http.get(f"{stack.app_url('course-agent')}/lessons", params=params)
    assert response.status_code == 200, response.text
    return dict(response.json())


def _row(pg: Any, key: str) -> Any:
    found = pg.execute("select value from state where key = %s", (key,)).fetchone()
    return found[0] if found else None


def test_a_learners_pages_do_not_shift_when_lessons_arrive_between_them(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    existing = [_generate(stack, http, learner_id=learner)["lesson_id"] for _ in range(5)]

    listed: list[str] = []
    cursor: str | None = None
    while True:
        page = _lessons(stack, http, learner_id=learner, limit=2, **({"cursor": cursor} if cursor else {}))
        listed += [item["lesson_id"] for item in page["lessons"]]
        _generate(stack, http, learner_id=learner)  # a newer lesson between two pages
        if (cursor := page["next_cursor"]) is None:
            break

    assert listed == list(reversed(existing))


def test_a_learner_cursor_that_is_not_ours_is_422(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    _generate(stack, http, learner_id=learner)

    for cursor in ("0", "2", "abc", f"{learner}~{uuid.uuid4().hex}"):
        response = http.get(
            f"{stack.app_url('course-agent')}/lessons", params={"learner_id": learner, "cursor": cursor}
        )
        assert response.status_code == 422, cursor
        assert response.json()["type"].endswith("/invalid-cursor")


def test_the_same_request_id_gives_the_same_lesson_and_stores_no_request_map(
    stack: RunningStack, http: httpx.Client, learner: str, pg: Any
) -> None:
    first = _generate(stack, http, learner_id=learner, request_id="once")
    _generate(stack, http, learner_id=learner)
    again = _generate(stack, http, replay=True, learner_id=learner, request_id="once")

    assert again == first
    assert first["lesson_id"] == lesson_id_for(learner, "once")
    assert len(_lessons(stack, http, learner_id=learner)["lessons"]) == 2
    assert _row(pg, ACTOR_KEY.format(learner=learner, key="requests")) is None
    assert _row(pg, ACTOR_KEY.format(learner=learner, key="meta"))["lessons"] == 2


def test_a_learner_stored_by_the_first_release_is_converted_on_first_touch(
    stack: RunningStack, http: httpx.Client, learner: str, pg: Any
) -> None:
    start = datetime.now(UTC) - timedelta(days=30)
    documents = [
        compose(
            curriculum(),
            choose(curriculum(), None, start, ("variables", "loops")[number % 2]),
            None,
            learner_id=learner,
            lesson_id=lesson_id_for(learner, f"old-{number}"),
            created_at=start + timedelta(minutes=number),
            previous_lessons_on_topic=number // 2,
            seed=number,
            request_id=f"old-{number}",
        ).model_dump(mode="json")
        for number in range(120)
    ]
    old = {
        "lessons": [{key: document[key] for key in SUMMARY_FIELDS} for document in reversed(documents)],
        "requests": {f"old-{n}": document["lesson_id"] for n, document in enumerate(documents)},
        "knowledge": {
            "learner_id": learner,
            "topics": {"loops": {"attempts": 3, "scores": [90, 90, 90], "mastery": 90}},
            "applied_event_ids": ["ce-a", "ce-b"],
        },
        **{f"lesson:{document['lesson_id']}": document for document in documents},
    }
    for key, value in old.items():
        pg.execute(
            "INSERT INTO state (key, value, isbinary) VALUES (%s, %s::jsonb, false)",
            (ACTOR_KEY.format(learner=learner, key=key), json.dumps(value)),
        )

    listed: list[str] = []
    cursor: str | None = None
    while True:
        page = _lessons(stack, http, learner_id=learner, limit=50, **({"cursor": cursor} if cursor else {}))
        listed += [item["lesson_id"] for item in page["lessons"]]
        if (cursor := page["next_cursor"]) is None:
            break
    replayed = _generate(stack, http, replay=True, learner_id=learner, request_id="old-7")

    assert listed == [document["lesson_id"] for document in reversed(documents)]
    assert replayed == documents[7]
    assert _row(pg, ACTOR_KEY.format(learner=learner, key="lessons")) is None
    assert _row(pg, ACTOR_KEY.format(learner=learner, key="requests")) is None
    meta = _row(pg, ACTOR_KEY.format(learner=learner, key="meta"))
    assert meta["lessons"] == 120
    assert meta["topics"]["loops"]["count"] == 60


def _progress_event(learner: str, seq: int, event_id: str) -> dict[str, Any]:
    return {
        "specversion": "1.0",
        "id": event_id,
        "source": "user-progress",
        "type": "learnflow.progress.updated.v1",
        "subject": learner,
        "datacontenttype": "application/json",
        "data": {
            "learner_id": learner,
            "source_event_id": f"e-{seq}",
            "activity": "quiz",
            "topic": "loops",
            "score": 80,
            "completed_at": (datetime.now(UTC) - timedelta(minutes=10 - seq)).isoformat(),
            "events_recorded": seq,
            "xp_earned": 20,
            "xp_total": 20 * seq,
            "level": 1,
            "topic_mastery": 40,
            "topic_level": "Learning",
            "topic_next_review_at": None,
            "week": "2026-W48",
            "week_xp": 20 * seq,
        },
    }


def test_redelivered_and_reordered_progress_events_are_applied_once(
    stack: RunningStack, http: httpx.Client, learner: str, pg: Any
) -> None:
    for seq in (1, 3, 2, 3, 1, 2):  # a reorder and redeliveries (one with another CloudEvent id)
        response = http.post(
            f"{stack.app_url('course-agent')}/events/progress-events",
            json=_progress_event(learner, seq, f"ce-{seq}" if seq != 2 else str(uuid.uuid4())),
            headers=stack.app_headers,
        )
        assert response.json() == {"status": "SUCCESS"}

    knowledge = _row(pg, f"course-agent||{knowledge_key(learner)}")

    assert knowledge["topics"]["loops"]["attempts"] == 3
    assert knowledge["applied_through"] == 3
    assert knowledge["applied_above"] == []
    assert "applied_event_ids" not in knowledge


def _deliver(stack: RunningStack, http: httpx.Client, event: dict[str, Any]) -> None:
    response = http.post(
        f"{stack.app_url('course-agent')}/events/progress-events", json=event, headers=stack.app_headers
    )
    assert response.json() == {"status": "SUCCESS"}


def test_knowledge_a_release_before_kept_in_actor_state_is_carried_to_its_key(
    stack: RunningStack, http: httpx.Client, learner: str, pg: Any
) -> None:
    kept_before = {
        "learner_id": learner,
        "topics": {"loops": {"attempts": 3, "scores": [90, 90, 90], "mastery": 90}},
        "applied_event_ids": ["ce-a"],
    }
    pg.execute(
        "INSERT INTO state (key, value, isbinary) VALUES (%s, %s::jsonb, false)",
        (ACTOR_KEY.format(learner=learner, key="knowledge"), json.dumps(kept_before)),
    )

    _deliver(stack, http, _progress_event(learner, 1, "ce-a"))  # a redelivery of one it had applied
    _deliver(stack, http, _progress_event(learner, 2, "ce-new"))

    knowledge = _row(pg, f"course-agent||{knowledge_key(learner)}")
    assert knowledge["topics"]["loops"]["attempts"] == 4
    assert knowledge["applied_through"] == 2
    assert "legacy_ids" not in knowledge


def test_a_fold_that_finds_the_knowledge_changed_since_its_read_reads_again_and_loses_no_event(
    stack: RunningStack, http: httpx.Client, learner: str, pg: Any
) -> None:
    _deliver(stack, http, _progress_event(learner, 1, "ce-1"))  # the learner's actor creates the key
    ours, theirs = (
        [(event["id"], ProgressUpdatedV1.model_validate(event["data"]))]
        for event in (_progress_event(learner, 2, "ce-2"), _progress_event(learner, 3, "ce-3"))
    )

    async def fold_while_another_consumer_saves_first() -> tuple[tuple[dict[str, list[bool]], list[str]], list[int]]:
        sidecar = DaprSidecar(stack.dapr_url("course-agent"), stack.dapr_headers["dapr-api-token"])
        real_save = sidecar.save_if_unchanged
        saves: list[int] = []

        async def save_after_theirs(store: str, writes: Mapping[str, Versioned]) -> None:
            saves.append(len(writes))
            if len(saves) == 1:  # another replica's fold lands between our first read and save
                await fold_stored(sidecar, store, {learner: theirs})
            await real_save(store, writes)

        sidecar.save_if_unchanged = save_after_theirs  # type: ignore[method-assign]
        try:
            return await fold_stored(sidecar, "statestore", {learner: ours}), saves
        finally:
            await sidecar.aclose()

    (applied, absent), saves = asyncio.run(fold_while_another_consumer_saves_first())

    knowledge = _row(pg, f"course-agent||{knowledge_key(learner)}")
    assert (applied, absent) == ({learner: [True]}, [])
    assert saves == [1, 1, 1]  # ours (refused: theirs had landed), theirs, ours again
    assert knowledge["topics"]["loops"]["attempts"] == 3
    assert knowledge["applied_through"] == 3


def _feed_ids(stack: RunningStack, http: httpx.Client, pages: int, limit: int = 50) -> tuple[list[str], str | None]:
    listed: list[str] = []
    cursor: str | None = None
    for _ in range(pages):
        page = _lessons(stack, http, limit=limit, **({"cursor": cursor} if cursor else {}))
        listed += [item["lesson_id"] for item in page["lessons"]]
        if (cursor := page["next_cursor"]) is None:
            break
    return listed, cursor


def test_feed_pages_do_not_shift_when_lessons_arrive_between_them(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    mine = [_generate(stack, http, learner_id=learner)["lesson_id"] for _ in range(4)]
    eventually(lambda: set(mine) <= set(_feed_ids(stack, http, 1)[0]))
    newer: list[str] = []
    listed: list[str] = []
    cursor: str | None = None
    for _ in range(40):
        page = _lessons(stack, http, limit=2, **({"cursor": cursor} if cursor else {}))
        listed += [item["lesson_id"] for item in page["lessons"]]
        newer.append(_generate(stack, http, learner_id=learner)["lesson_id"])  # between two pages
        if set(mine) <= set(listed) or (cursor := page["next_cursor"]) is None:
            break

    assert len(set(listed)) == len(listed)
    assert [lesson_id for lesson_id in listed if lesson_id in mine] == list(reversed(mine))
    assert not set(newer) & set(listed)  # lessons newer than the first page never show up later


def test_a_days_lesson_events_arrive_in_bulk_and_each_lesson_is_listed_once_in_the_feed(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    """bulkSubscribe (components/subscriptions.yaml): fewer deliveries than messages, a day's lessons
    of a delivery in one call of that day's feed actor; a redelivery in the batch is listed once."""
    day = datetime(2001, 1, 1, tzinfo=UTC) + timedelta(days=uuid.uuid4().int % 3000)  # a day no other test fills
    lessons = [lesson_generated(learner, created_at=day + timedelta(minutes=n)) for n in range(12)]
    redelivered = {**lessons[0], "id": str(uuid.uuid4())}
    before = deliveries(http, stack.app_url("course-agent"), "/events/lesson-events")

    produce(
        stack.kafka_bootstrap, "lesson-events", [json.dumps(m).encode() for m in [*lessons, redelivered]], key=learner
    )

    def listed() -> list[str]:
        page = _lessons(stack, http, limit=100, cursor=feed.encode_cursor((day + timedelta(days=1), "")))
        return [item["lesson_id"] for item in page["lessons"] if item["learner_id"] == learner]

    assert eventually(lambda: len(listed()) == len(lessons))
    assert listed() == [lesson["data"]["lesson_id"] for lesson in reversed(lessons)]  # newest first, each once
    assert 0 < deliveries(http, stack.app_url("course-agent"), "/events/lesson-events") - before <= len(lessons)


def test_feed_documents_of_the_first_release_move_into_the_index(
    stack: RunningStack, http: httpx.Client, learner: str, pg: Any
) -> None:
    lesson = {
        "lesson_id": lesson_id_for(learner, "from-the-old-feed"),
        "learner_id": learner,
        "topic": "testing",
        "difficulty": "advanced",
        "title": "An old feed entry",
        "rationale": "first release",
        "generator": "builtin",
        "created_at": (datetime.now(UTC) - timedelta(seconds=1)).isoformat(),
    }
    key = f"course-agent||lesson-feed:{lesson['lesson_id']}"
    pg.execute(
        "INSERT INTO state (key, value, isbinary) VALUES (%s, %s::jsonb, false)",
        (key, json.dumps({"kind": "lesson-feed", **lesson})),
    )

    async def import_as_a_fresh_replica() -> int:
        """What a replica does on its first feed read (this test's stack replica has done it already)."""
        feed._legacy_imported = False
        sidecar = DaprSidecar(stack.dapr_url("course-agent"), stack.dapr_headers["dapr-api-token"])
        try:
            return await feed.import_legacy_feed(sidecar, "statestore")
        finally:
            await sidecar.aclose()

    moved = asyncio.run(import_as_a_fresh_replica())

    assert moved >= 1
    assert _row(pg, key) is None
    page = _lessons(stack, http, topic="testing", difficulty="advanced", limit=5)
    assert page["lessons"][0]["lesson_id"] == lesson["lesson_id"]
    assert asyncio.run(import_as_a_fresh_replica()) == 0
