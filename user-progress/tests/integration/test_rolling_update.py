"""Replicas of two releases during a rolling update, through the real sidecar, app and SDK.

POST /update-progress records through the learner actor's RecordEventForStatus; a replica of the
release before has no such method, so the caller falls back to RecordEvent (``LearnerProgress``),
and a caller of the release before still calls RecordEvent on an actor of this release.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import httpx
import pytest

from devstack.testing import RunningStack
from learnflow_common.dapr import DaprSidecar
from learnflow_common.dapr.errors import ActorMethodFailed
from user_progress.adapters.actor_interface import LEARNER_ACTOR, RECORD_EVENT, names_unknown_method
from user_progress.domain.events import LearningEvent
from user_progress.status_answers import status_body


@pytest.fixture
async def http(stack: RunningStack) -> AsyncIterator[httpx.AsyncClient]:
    """A client of the app with an operator's token, for these async tests."""
    async with httpx.AsyncClient(timeout=15, headers=stack.admin_headers) as client:
        yield client


def _event(learner: str) -> LearningEvent:
    return LearningEvent("evt-rolling-1", learner, "quiz", "loops", datetime.now(UTC) - timedelta(minutes=5), score=70)


async def test_the_real_refusal_of_a_method_the_host_does_not_have_is_recognised(
    stack: RunningStack, http: httpx.AsyncClient, sidecar: DaprSidecar, learner: str
) -> None:
    """What a replica of the release before answers RecordEventForStatus: the SDK's refusal of a
    method its actor type does not have, through daprd, which ``names_unknown_method`` must recognise
    (by the method's whole name). That it comes before the actor is activated is held in process
    (``test_learner_actor_outbox.py``)."""
    method = "RecordEventOfALaterRelease"

    with pytest.raises(ActorMethodFailed) as refused:
        await sidecar.invoke_actor(LEARNER_ACTOR, learner, method, RECORD_EVENT.request(_event(learner)))

    assert names_unknown_method(refused.value, method)
    assert not names_unknown_method(refused.value, "RecordEvent")
    answer = await http.get(f"{stack.app_url('user-progress')}/status", params={"learner_id": learner})
    assert answer.status_code == 404, answer.text


async def test_a_caller_of_the_release_before_still_records_through_record_event(
    stack: RunningStack, http: httpx.AsyncClient, sidecar: DaprSidecar, learner: str
) -> None:
    event = _event(learner)
    before = datetime.now(UTC)

    recorded = RECORD_EVENT.answer_of(
        await sidecar.invoke_actor(LEARNER_ACTOR, learner, "RecordEvent", RECORD_EVENT.request(event))
    )
    again = await http.post(
        f"{stack.app_url('user-progress')}/update-progress",
        json={**event.to_dict(), "completed_at": event.completed_at.isoformat()},
    )

    assert recorded.outcome == "recorded"
    assert recorded.snapshot is not None
    assert again.status_code == 200, again.text
    moments = (before, datetime.now(UTC))  # the actor's own moment is between them
    assert again.json() in [json.loads(status_body(recorded.snapshot, moment)) for moment in moments]
