"""Bad ids and cursors are refused with 422 (or 404 for a lesson path) before the sidecar is asked.

No sidecar runs here: a request that got past validation would be answered 503.
"""

from __future__ import annotations

import base64
import json
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from course_agent.app import create_app
from course_agent.settings import Settings
from devstack.testing import AppAuth


@pytest.fixture
def client(app_auth: AppAuth) -> Iterator[TestClient]:
    settings = app_auth.settings(Settings, "course-agent")
    with TestClient(create_app(settings), headers=app_auth.bearer(None, "admin")) as test_client:
        yield test_client


def _feed_cursor(token: object) -> str:
    return base64.urlsafe_b64encode(json.dumps({"token": token}).encode()).decode()


@pytest.mark.parametrize("request_id", ["r\u00001", "r\x1b[31m", "r 1", "x" * 129, ""])
def test_request_id_with_nul_or_control_characters_is_refused_before_anything_is_stored(
    client: TestClient, request_id: str
) -> None:
    response = client.post("/generate-lesson", json={"learner_id": "ada", "request_id": request_id})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["request_id"]


@pytest.mark.parametrize(
    "cursor",
    [
        _feed_cursor("²"),
        _feed_cursor("٣"),
        _feed_cursor("9" * 20),
        _feed_cursor("-1"),
        _feed_cursor(""),
        _feed_cursor(12),
        base64.urlsafe_b64encode(b"[1]").decode(),
        "not base64!",
        "é",
    ],
    ids=[
        "superscript-two",
        "arabic-three",
        "20-digits",
        "negative",
        "empty",
        "number",
        "list",
        "not-base64",
        "non-ascii",
    ],
)
def test_a_feed_cursor_that_is_not_ours_is_422_invalid_cursor(client: TestClient, cursor: str) -> None:
    response = client.get("/lessons", params={"cursor": cursor})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-cursor")
    assert response.json()["errors"][0]["field"] == "cursor"


@pytest.mark.parametrize("cursor", ["ada~123", "lesson\u00001", "ada~" + "0" * 31 + "\u0000"])
def test_a_learner_cursor_that_is_not_a_lesson_id_is_422_invalid_cursor(client: TestClient, cursor: str) -> None:
    response = client.get("/lessons", params={"learner_id": "ada", "cursor": cursor})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-cursor")


@pytest.mark.parametrize("lesson_id", ["nope", "ada~123", "a%00b~" + "0" * 32, "~" + "0" * 32])
def test_a_lesson_path_that_is_not_a_lesson_id_is_404_without_asking_the_sidecar(
    client: TestClient, lesson_id: str
) -> None:
    response = client.get(f"/lessons/{lesson_id}")

    assert response.status_code == 404
    assert response.json()["type"].endswith("/lesson-not-found")
