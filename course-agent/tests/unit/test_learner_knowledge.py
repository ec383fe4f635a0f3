"""The agent's projection of a learner, folded from progress events."""

from __future__ import annotations

from datetime import UTC, datetime

from course_agent.domain.knowledge import LearnerKnowledge, apply_progress
from learnflow_common.events import ProgressUpdatedV1


def _progress(topic: str = "variables", score: int | None = 70) -> ProgressUpdatedV1:
    return ProgressUpdatedV1(
        learner_id="ada",
        source_event_id="e",
        activity="quiz",
        topic=topic,
        score=score,
        completed_at=datetime(2026, 1, 1, tzinfo=UTC),
        events_recorded=1,
        xp_earned=10,
        xp_total=10,
        level=1,
        topic_mastery=20,
        topic_level="Beginner",
        topic_next_review_at=datetime(2026, 4, 1, tzinfo=UTC),
        week="2026-W01",
        week_xp=10,
    )


def test_progress_event_adds_an_attempt_and_its_score() -> None:
    knowledge = apply_progress(None, "ce-1", _progress(score=70))

    assert knowledge.topics["variables"].attempts == 1
    assert knowledge.topics["variables"].scores == (70,)


def test_redelivered_event_is_applied_once() -> None:
    once = apply_progress(None, "ce-1", _progress())

    assert apply_progress(once, "ce-1", _progress()) == once


def test_ungraded_event_counts_an_attempt_without_a_score() -> None:
    knowledge = apply_progress(None, "ce-1", _progress(score=None))

    assert knowledge.topics["variables"].scores == ()
    assert knowledge.topics["variables"].attempts == 1


def test_knowledge_survives_its_serialised_form() -> None:
    knowledge = apply_progress(apply_progress(None, "a", _progress()), "b", _progress("loops", 90))

    assert LearnerKnowledge.from_dict(knowledge.to_dict()) == knowledge
