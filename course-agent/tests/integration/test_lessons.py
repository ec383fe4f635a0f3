"""POST /generate-lesson and GET /lessons through the real sidecar, actors, PostgreSQL and Kafka."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, datetime, timedelta
from typing import Any

import httpx
import pytest

from course_agent.adapters.knowledge import knowledge_key
from devstack.testing import RunningStack, eventually, read_topic

LESSON_FIELDS = {
    "lesson_id",
    "learner_id",
    "topic",
    "difficulty",
    "title",
    "objectives",
    "estimated_minutes",
    "sections",
    "examples",
    "exercises",
    "quiz",
    "prerequisites",
    "rationale",
    "generator",
    "created_at",
}


@pytest.fixture
def learner() -> str:
    return f"learner-{uuid.uuid4().hex[:12]}"


def _generate(stack: RunningStack, http: httpx.Client, **body: Any) -> httpx.Response:
    return http.post(f"{stack.app_url('course-agent')}/generate-lesson", json=body)


def test_generated_lesson_is_201_with_the_contract_fields(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    response = _generate(stack, http, learner_id=learner)

    assert response.status_code == 201
    lesson = response.json()
    assert set(lesson) >= LESSON_FIELDS
    assert lesson["learner_id"] == learner
    assert lesson["topic"] == "variables"
    assert lesson["difficulty"] == "beginner"
    assert lesson["generator"] == "builtin"
    assert "new learner" in lesson["rationale"]  # asked user-progress (service invocation): 404
    assert {"prompt", "starter_code", "hints", "reference_solution", "tests"} <= set(lesson["exercises"][0])


def test_same_request_id_is_an_idempotent_replay_200_of_the_same_lesson(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    first = _generate(stack, http, learner_id=learner, request_id="req-1")
    again = _generate(stack, http, learner_id=learner, request_id="req-1")
    other = _generate(stack, http, learner_id=learner, request_id="req-2")

    assert (first.status_code, again.status_code, other.status_code) == (201, 200, 201)
    assert again.json() == first.json()
    assert other.json()["lesson_id"] != first.json()["lesson_id"]
    assert first.headers["location"] == again.headers["location"] != other.headers["location"]


def test_a_generated_lesson_is_at_its_location(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    created = _generate(stack, http, learner_id=learner)

    found = http.get(f"{stack.app_url('course-agent')}{created.headers['location']}")

    assert found.status_code == 200
    assert found.json() == created.json()


def test_unknown_topic_is_422_listing_the_valid_ones(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    response = _generate(stack, http, learner_id=learner, topic="cobol")

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "topic"
    assert "loops" in response.json()["valid_topics"]


def test_weak_progress_events_turn_the_next_lesson_into_remediation(
    stack: RunningStack, http: httpx.Client, learner: str, pg: Any
) -> None:
    assert _generate(stack, http, learner_id=learner, request_id="before").json()["topic"] == "variables"
    when = datetime.now(UTC) - timedelta(minutes=5)
    for i, score in enumerate((30, 40, 35)):
        http.post(
            f"{stack.app_url('user-progress')}/update-progress",
            json={
                "event_id": f"weak-{i}",
                "learner_id": learner,
                "activity": "exercise",
                "topic": "loops",
                "score": score,
                "completed_at": (when + timedelta(seconds=i)).isoformat(),
            },
        ).raise_for_status()
    eventually(
        lambda: (
            pg.execute(
                "select value->'topics'->'loops'->>'attempts' from state where key = %s",
                (f"course-agent||{knowledge_key(learner)}",),
            ).fetchone()
            == ("3",)
        )
    )

    after = _generate(stack, http, learner_id=learner, request_id="after").json()

    assert after["topic"] == "loops"
    assert "remediation" in after["rationale"]
    assert any("shore this up" in section["heading"] for section in after["sections"])


def test_lesson_can_be_read_back_and_an_unknown_one_is_404(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    lesson = _generate(stack, http, learner_id=learner).json()

    found = http.get(f"{stack.app_url('course-agent')}/lessons/{lesson['lesson_id']}")
    missing = http.get(f"{stack.app_url('course-agent')}/lessons/{learner}~{uuid.uuid4().hex}")

    assert found.status_code == 200
    assert found.json() == lesson
    assert missing.status_code == 404
    assert missing.headers["content-type"] == "application/problem+json"


def test_learner_lessons_page_newest_first_with_a_cursor(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    created = [_generate(stack, http, learner_id=learner, request_id=f"r{i}").json()["lesson_id"] for i in range(5)]

    seen: list[str] = []
    cursor: str | None = None
    while True:
        params: dict[str, Any] = {"learner_id": learner, "limit": 2, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"{stack.app_url('course-agent')}/lessons", params=params).json()
        seen += [item["lesson_id"] for item in page["lessons"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break

    assert seen == list(reversed(created))


def test_lessons_filter_by_topic(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    _generate(stack, http, learner_id=learner, topic="loops")
    _generate(stack, http, learner_id=learner, topic="classes")

    page = http.get(f"{stack.app_url('course-agent')}/lessons", params={"learner_id": learner, "topic": "loops"}).json()

    assert [item["topic"] for item in page["lessons"]] == ["loops"]


def test_lessons_of_all_learners_include_a_new_lesson(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    lesson = _generate(stack, http, learner_id=learner, topic="testing", difficulty="advanced").json()

    def listed() -> bool:
        page = http.get(
            f"{stack.app_url('course-agent')}/lessons",
            params={"topic": "testing", "difficulty": "advanced", "limit": 100},
        ).json()
        return lesson["lesson_id"] in [item["lesson_id"] for item in page["lessons"]]

    assert eventually(listed)


def test_lesson_generated_event_is_a_cloudevent_on_the_topic(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    lesson = _generate(stack, http, learner_id=learner).json()

    event, key = read_topic(
        stack.kafka_bootstrap,
        "lesson-events",
        lambda value, _: value.get("data", {}).get("lesson_id") == lesson["lesson_id"],
    )

    assert key == learner.encode()
    assert event["type"] == "learnflow.lesson.generated.v1"
    assert event["source"] == "course-agent"
    assert event["data"]["topic"] == lesson["topic"]


def test_lessons_of_all_learners_page_newest_first_without_repeats(
    stack: RunningStack, http: httpx.Client, learner: str
) -> None:
    for _ in range(3):
        _generate(stack, http, learner_id=learner)
    eventually(
        lambda: len(http.get(f"{stack.app_url('course-agent')}/lessons", params={"limit": 3}).json()["lessons"]) == 3
    )

    pages, cursor = [], None
    for _ in range(3):
        params: dict[str, Any] = {"limit": 3, **({"cursor": cursor} if cursor else {})}
        page = http.get(f"{stack.app_url('course-agent')}/lessons", params=params).json()
        pages.append(page["lessons"])
        cursor = page["next_cursor"]
        if cursor is None:
            break
    listed = [item for page in pages for item in page]

    assert len({item["lesson_id"] for item in listed}) == len(listed)
    assert [item["created_at"] for item in listed] == sorted((item["created_at"] for item in listed), reverse=True)


def test_malformed_cursor_is_422(stack: RunningStack, http: httpx.Client) -> None:
    response = http.get(f"{stack.app_url('course-agent')}/lessons", params={"cursor": "not-a-cursor"})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "cursor"


async def test_concurrent_requests_for_one_learner_are_serialised_into_distinct_lessons(
    stack: RunningStack, learner: str
) -> None:
    url = f"{stack.app_url('course-agent')}/generate-lesson"
    async with httpx.AsyncClient(timeout=60, headers=stack.admin_headers) as client:
        responses = await asyncio.gather(*(client.post(url, json={"learner_id": learner}) for _ in range(4)))
        listed = (await client.get(f"{stack.app_url('course-agent')}/lessons", params={"learner_id": learner})).json()

    lessons = [response.json() for response in responses]
    assert [response.status_code for response in responses] == [201] * 4
    assert len({lesson["lesson_id"] for lesson in lessons}) == 4
    assert len(listed["lessons"]) == 4
    exercise_sets = {tuple(exercise["id"] for exercise in lesson["exercises"]) for lesson in lessons}
    assert len(exercise_sets) > 1  # each saw the ones before it: rotated exercises, not four copies


def test_state_store_outage_is_503_with_retry_after(stack: RunningStack, http: httpx.Client, learner: str) -> None:
    with stack.frozen("postgres"):
        response = http.post(
            f"{stack.app_url('course-agent')}/generate-lesson", json={"learner_id": learner}, timeout=90
        )

    assert response.status_code == 503
    assert response.headers["content-type"] == "application/problem+json"
    assert int(response.headers["retry-after"]) > 0

    def retry() -> httpx.Response | None:  # as a client told Retry-After does: the store's circuit
        answer = _generate(stack, http, learner_id=learner)  # breaker stays open a while after it
        return answer if answer.status_code != 503 else None

    assert eventually(retry, timeout=120, interval=2).status_code == 201
