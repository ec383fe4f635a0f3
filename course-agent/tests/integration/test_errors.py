"""Permanent is never "try again", for the Course Agent, through the real sidecar and PostgreSQL."""

from __future__ import annotations

import base64
import json
import uuid
from typing import Any

import httpx
import pytest

from devstack.testing import RunningStack


def _new_learner() -> str:
    return f"learner-{uuid.uuid4().hex[:12]}"


@pytest.mark.parametrize("request_id", ["r-\u0000", "r-\x1b[0m"], ids=["nul", "escape"])
def test_request_id_with_nul_is_refused_before_anything_is_stored(
    stack: RunningStack, http: httpx.Client, pg: Any, request_id: str
) -> None:
    learner = _new_learner()

    response = http.post(
        f"{stack.app_url('course-agent')}/generate-lesson", json={"learner_id": learner, "request_id": request_id}
    )

    assert response.status_code == 422
    assert "retry-after" not in response.headers
    assert [error["field"] for error in response.json()["errors"]] == ["request_id"]
    stored = pg.execute("select key from state where key like %s", (f"course-agent||LearnerPlanActor||{learner}||%",))
    assert stored.fetchall() == []


@pytest.mark.parametrize("token", ["²", "9" * 20, "99999999999999999999999"])
def test_a_feed_cursor_the_store_could_not_parse_is_422_not_503(
    stack: RunningStack, http: httpx.Client, token: str
) -> None:
    cursor = base64.urlsafe_b64encode(json.dumps({"token": token}).encode()).decode()

    response = http.get(f"{stack.app_url('course-agent')}/lessons", params={"cursor": cursor})

    assert response.status_code == 422
    assert response.json()["type"].endswith("/invalid-cursor")
    assert http.get(f"{stack.app_url('course-agent')}/lessons").status_code == 200


def test_new_learners_404_from_user_progress_does_not_cut_the_agent_off_from_it(
    stack: RunningStack, http: httpx.Client
) -> None:
    """Each new learner's lesson asks user-progress for a status it does not have (404). A 404 is
    an answer, not an outage: it must not be retried nor open a circuit breaker on user-progress."""
    for _ in range(4):
        lesson = http.post(f"{stack.app_url('course-agent')}/generate-lesson", json={"learner_id": _new_learner()})
        assert "new learner" in lesson.json()["rationale"]

    through_the_agents_sidecar = http.get(
        f"{stack.dapr_url('course-agent')}/v1.0/invoke/user-progress/method/healthz", headers=stack.dapr_headers
    )

    assert through_the_agents_sidecar.status_code == 200, through_the_agents_sidecar.text
