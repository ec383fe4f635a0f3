"""CORS: a browser frontend on an allowed origin can call the API; no other origin can read it."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from pydantic import ValidationError

from devstack.testing import AppAuth
from user_progress.app import create_app
from user_progress.settings import Settings

FRONTEND = "https://app.learnflow.dev"


def _settings(app_auth: AppAuth, **extra: str) -> Settings:
    return app_auth.settings(Settings, "user-progress", **extra)


@pytest.fixture
def client(app_auth: AppAuth) -> Iterator[TestClient]:
    settings = _settings(app_auth, CORS_ORIGINS=f"{FRONTEND}/, http://localhost:5173")
    with TestClient(create_app(settings)) as test_client:
        yield test_client


def test_a_preflight_from_an_allowed_origin_is_allowed_with_the_bearer_header(client: TestClient) -> None:
    response = client.options(
        "/update-progress",
        headers={
            "Origin": FRONTEND,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type",
        },
    )

    assert response.status_code == 200
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "authorization" in response.headers["access-control-allow-headers"].lower()


def test_an_error_answer_to_an_allowed_origin_is_readable_by_the_page(client: TestClient) -> None:
    response = client.get("/status", params={"learner_id": "ada"}, headers={"Origin": FRONTEND})

    assert response.status_code == 401  # no token: the page can read why, and WWW-Authenticate
    assert response.headers["access-control-allow-origin"] == FRONTEND
    assert "www-authenticate" in response.headers["access-control-expose-headers"].lower()


def test_another_origin_gets_no_cors_headers(client: TestClient) -> None:
    response = client.options(
        "/update-progress", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )

    assert "access-control-allow-origin" not in response.headers


def test_without_cors_origins_no_origin_is_allowed(app_auth: AppAuth) -> None:
    with TestClient(create_app(_settings(app_auth))) as client:
        response = client.get("/healthz", headers={"Origin": FRONTEND})

    assert "access-control-allow-origin" not in response.headers


@pytest.mark.parametrize("origin", ["app.learnflow.dev", "https://app.learnflow.dev/path", "ftp://x"])
def test_a_value_that_is_not_an_origin_refuses_to_start(app_auth: AppAuth, origin: str) -> None:
    with pytest.raises(ValidationError, match="CORS_ORIGINS"):
        _settings(app_auth, CORS_ORIGINS=origin)
