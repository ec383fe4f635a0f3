"""Bad input to POST /update-progress is refused with a 422 naming the field (no sidecar reached)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi.testclient import TestClient

from devstack.testing import AppAuth
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
def client(app_auth: AppAuth) -> Iterator[TestClient]:
    settings = app_auth.settings(Settings, "user-progress")
    with TestClient(create_app(settings), headers=app_auth.bearer(None, "admin")) as test_client:
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
        ({"hints_used": False}, "hints_used"),
        ({"activity": "quiz", "score": True}, "score"),
        ({"duration_seconds": "300"}, "duration_seconds"),
        ({"items": [{"item_id": "a b", "correct": True}]}, "items.0.item_id"),
        ({"items": [{"item_id": "a", "correct": 1}]}, "items.0.correct"),
        ({"items": [{"item_id": "a", "correct": "true"}]}, "items.0.correct"),
        ({"items": [{"item_id": "a", "correct": True, "attempts": 0}]}, "items.0.attempts"),
        ({"items": [{"item_id": "a", "correct": True, "attempts": True}]}, "items.0.attempts"),
        ({"items": [{"item_id": "a", "correct": True, "hints_used": -1}]}, "items.0.hints_used"),
        ({"items": [{"item_id": "a", "correct": True, "hints_used": 1.0}]}, "items.0.hints_used"),
        ({"items": [{"item_id": "a", "correct": True, "surprise": 1}]}, "items.0.surprise"),
        ({"items": [{"correct": True}]}, "items.0.item_id"),
        ({"items": [{"item_id": f"q{n}", "correct": True} for n in range(51)]}, "items"),
        ({"items": {"item_id": "a", "correct": True}}, "items"),
    ],
)
def test_invalid_field_is_422_naming_it(client: TestClient, change: dict[str, Any], field: str) -> None:
    body = {key: value for key, value in {**VALID, **change}.items() if value is not None}

    response = client.post("/update-progress", json=body)

    assert response.status_code == 422
    assert field in [error["field"] for error in response.json()["errors"]]


def test_an_item_listed_twice_is_422_naming_items(client: TestClient) -> None:
    twice = [{"item_id": "loops-1", "correct": False}, {"item_id": "loops-1", "correct": True}]

    response = client.post("/update-progress", json={**VALID, "items": twice})

    assert response.status_code == 422
    assert response.headers["content-type"].startswith("application/problem+json")
    errors = response.json()["errors"]
    assert [error["field"] for error in errors] == ["items"]
    assert "loops-1" in errors[0]["message"]


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


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("event_id", "evt-\u0000-1"),
        ("event_id", "evt\t1"),
        ("event_id", "evt 1"),
        ("event_id", "x" * 129),
        ("lesson_id", "ada~" + "0" * 31 + "\u0000"),
        ("lesson_id", "lesson\u00001"),
        ("learner_id", "ada\u0000"),
    ],
    ids=[
        "nul-event-id",
        "tab-event-id",
        "space-event-id",
        "long-event-id",
        "nul-lesson-id",
        "free-lesson-id",
        "nul-learner",
    ],
)
def test_event_id_with_nul_is_refused_before_anything_is_stored(client: TestClient, field: str, value: str) -> None:
    """No sidecar runs here: a 422 proves the request never reached it (it would be 503)."""
    response = client.post("/update-progress", json={**VALID, field: value})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert [error["field"] for error in response.json()["errors"]] == [field]


@pytest.mark.parametrize(
    ("query", "field"),
    [
        ({"from": "9999-12-31", "to": "9999-12-31"}, "from"),
        ({"to": "0001-01-05"}, "to"),
        ({"from": "0001-01-01"}, "from"),
        ({"from": "1999-12-31", "to": "2000-01-10"}, "from"),
        ({"from": "2026-01-01", "to": "3000-01-01"}, "to"),
        ({"from": "10000-01-01"}, "from"),
    ],
)
def test_history_dates_outside_2000_to_2999_are_422_naming_the_field(
    client: TestClient, query: dict[str, str], field: str
) -> None:
    response = client.get("/history", params={"learner_id": "ada", **query})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == field


@pytest.mark.parametrize("week", ["0000-W01", "9999-W52", "1999-W52", "3000-W02", "2026-W00", "2026-W54", "2025-W53"])
def test_a_leaderboard_week_that_does_not_exist_or_is_out_of_range_is_422_naming_week(
    client: TestClient, week: str
) -> None:
    response = client.get("/leaderboard", params={"week": week})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "week"


@pytest.mark.parametrize("week", ["٢٠٢٦-W47", "2026-W4²", "2026-w47", "2026-W47\n"])
def test_a_leaderboard_week_in_other_digits_or_shapes_is_422(client: TestClient, week: str) -> None:
    response = client.get("/leaderboard", params={"week": week})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "week"


@pytest.mark.parametrize(
    "completed_at", ["0001-01-01T00:00:00+23:59", "9999-12-31T23:59:59-23:59", "1999-12-31T23:59:59+00:00"]
)
def test_extreme_completed_at_is_422_naming_it(client: TestClient, completed_at: str) -> None:
    response = client.post("/update-progress", json={**VALID, "completed_at": completed_at})

    assert response.status_code == 422
    assert response.json()["errors"][0]["field"] == "completed_at"


def test_openapi_documents_the_bearer_scheme_on_every_learner_route(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    assert document["components"]["securitySchemes"]["HTTPBearer"] == {
        "type": "http",
        "scheme": "bearer",
        "bearerFormat": "JWT",
        "description": "A LearnFlow access token (JWT).",
    }
    for path, method in [("/update-progress", "post"), ("/status", "get"), ("/export", "get"), ("/leaderboard", "get")]:
        assert document["paths"][path][method]["security"] == [{"HTTPBearer": []}], path


def test_a_learner_posting_for_another_learner_is_403_before_the_sidecar_is_asked(
    client: TestClient, app_auth: AppAuth
) -> None:
    response = client.post("/update-progress", json=VALID, headers=app_auth.bearer("bob"))

    assert response.status_code == 403
    assert response.headers["content-type"] == "application/problem+json"
