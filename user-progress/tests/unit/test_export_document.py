"""GET /export?format=json: the document streamed from a snapshot and the log (no sidecar: a fake
answers the actor calls the route makes)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from learnflow_common.vocabulary import Activity
from user_progress import ledger
from user_progress.adapters.actor_interface import LearnerProgress
from user_progress.api.reports import _json_document
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import LearnerFold, fold_events


class FakeSidecar:
    """Answers ReadLog and ReadLessons with one page."""

    def __init__(self, events: list[LearningEvent]) -> None:
        self.events = events

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        if method == "ReadLog":
            return {"events": [event.to_dict() for event in self.events], "next_cursor": None}
        assert method == "ReadLessons", method
        return {"lessons": {}, "next_cursor": None}


def _event(event_id: str, activity: Activity, topic: str, score: int | None = None) -> LearningEvent:
    at = datetime.now(UTC) - timedelta(hours=1)
    return LearningEvent(event_id, "ada", activity, topic, at, score=score)


async def _export(events: list[LearningEvent]) -> dict[str, Any]:
    fold = fold_events(LearnerFold("ada"), events).fold
    snapshot = ledger.Snapshot(fold=fold, horizon=ledger.horizon_for(events[-1].completed_at))
    learner = LearnerProgress(FakeSidecar(events), "ada")
    chunks = [chunk async for chunk in _json_document(learner, snapshot)]
    return json.loads("".join(chunks))  # type: ignore[no-any-return]


async def test_a_topic_with_only_lessons_has_no_review_schedule_and_the_export_completes() -> None:
    # Found by the API fuzzer: a topic with no graded attempt has no FSRS card, and the export
    # failed on it after the 200 was sent (the client saw the stream end prematurely).
    document = await _export([_event("e1", "lesson", "loops"), _event("e2", "quiz", "variables", score=80)])

    assert set(document["review_schedule"]) == {"variables"}
    assert document["review_schedule"]["variables"]["due"]
    assert [event["event_id"] for event in document["events"]] == ["e1", "e2"]
