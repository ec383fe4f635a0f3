"""GET /metrics: Prometheus text with the request metrics of the public routes (no learner data)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient

from devstack.testing import AppAuth
from user_progress.app import create_app
from user_progress.settings import Settings


@pytest.fixture
def client(app_auth: AppAuth) -> Iterator[TestClient]:
    with TestClient(create_app(app_auth.settings(Settings, "user-progress"))) as test_client:
        yield test_client


def test_metrics_count_requests_by_route_template_never_by_learner(client: TestClient) -> None:
    client.get("/status", params={"learner_id": "ada-lovelace"})  # 401: no token

    text = client.get("/metrics").text

    assert 'http_requests_total{handler="/status",method="GET",status="4xx"}' in text
    assert "ada-lovelace" not in text
    assert "learnflow_outbox_backlog" in text
    assert "learnflow_actor_call_seconds" in text


def test_health_checks_and_metrics_are_not_counted_and_metrics_is_not_in_openapi(client: TestClient) -> None:
    client.get("/healthz")
    client.get("/metrics")

    text = client.get("/metrics").text

    assert 'handler="/healthz"' not in text
    assert 'handler="/metrics"' not in text
    assert "/metrics" not in client.get("/openapi.json").json()["paths"]
