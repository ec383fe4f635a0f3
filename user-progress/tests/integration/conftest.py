"""Fixtures for the User Progress integration tests (the stack itself comes from devstack.testing)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import pytest

from devstack.testing import RunningStack
from learnflow_common.dapr import DaprSidecar

EventFactory = Callable[..., dict[str, Any]]


@pytest.fixture
def new_learner() -> Callable[[], str]:
    return lambda: f"learner-{uuid.uuid4().hex[:12]}"


@pytest.fixture
def learner(new_learner: Callable[[], str]) -> str:
    return new_learner()


@pytest.fixture
def learning_event() -> EventFactory:
    """A valid POST /update-progress body; keyword arguments override fields."""

    def make(learner_id: str, **overrides: Any) -> dict[str, Any]:
        return {
            "event_id": f"evt-{uuid.uuid4()}",
            "learner_id": learner_id,
            "activity": "quiz",
            "topic": "variables",
            "score": 90,
            "completed_at": (datetime.now(UTC) - timedelta(minutes=1)).isoformat(),
            **overrides,
        }

    return make


@pytest.fixture
async def sidecar(stack: RunningStack) -> AsyncIterator[DaprSidecar]:
    """The app's own sidecar client, talking to user-progress's real sidecar."""
    client = DaprSidecar(stack.dapr_url("user-progress"), stack.dapr_headers["dapr-api-token"], timeout_seconds=30)
    try:
        yield client
    finally:
        await client.aclose()
