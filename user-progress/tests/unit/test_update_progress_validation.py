"""Bad input to POST /update-progress is refused with a 422 naming the field (no sidecar reached)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from user_progress.app import create_app
from user_progress.settings import Settings

VALID = {
    "event_id": "e1",
    "learner_id": "ada",
    "activity": "lesson",
    "topic": "variables",
    "completed_at": "2026-11-22T10:00:00+01:00",
}


@pytest.fixture
def client() -> Iterator[TestClient]:
    settings = Settings(APP_ID="user-progress", APP_PORT=1, DAPR_HTTP_PORT=1, DAPR_API_TOKEN="t", APP_API_TOKEN="a")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"event_id": None}, "event_id"),
        ({"activity": "nap"}, "activity"),
        ({"topic": "Not A Slug"}, "topic"),
        ({"activity": "quiz"}, "score"),
        ({"activity": "exercise", "score": 101}, "score"),
        ({"completed_at": "2026-11-22T10:00:00"}, "completed_at"),
        ({"timezone": "Mars/Olympus"}, "timezone"),
        ({"learner_id": "has spaces"}, "learner_id"),
        ({"surprise": 1}, "surprise"),
    ],
)
def test_invalid_field_is_422_naming_it(client: TestClient, change: dict[str, Any], field: str) -> None:
    body = {key: value for key, value in {**VALID, **change}.items() if value is not None}

    response = client.post("/update-progress", json=body)

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


def test_status_needs_a_learner_id(client: TestClient) -> None:
    response = client.get("/status")

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "learner_id"


@pytest.mark.parametrize("zone", ["localtime", "posixrules", "Factory", "right/UTC", "posix/Europe/Berlin"])
def test_zone_names_that_are_not_iana_zones_are_422(client: TestClient, zone: str) -> None:
    response = client.post("/update-progress", json={**VALID, "timezone": zone})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["timezone"]


def test_review_without_a_score_is_422_because_it_could_review_nothing(client: TestClient) -> None:
    response = client.post("/update-progress", json={**VALID, "activity": "review"})

    assert response.status_code == 422
    assert [error["field"] for error in response.json()["errors"]] == ["score"]
