"""The agent's projection of a learner, folded from progress events."""

from __future__ import annotations

import json
from datetime import UTC, datetime

from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent.domain.knowledge import APPLIED_WINDOW, LearnerKnowledge, apply_progress
from learnflow_common.events import ProgressUpdatedV1


def _progress(topic: str = "variables", score: int | None = 70, seq: int = 1) -> ProgressUpdatedV1:
    return ProgressUpdatedV1(
        learner_id="ada",
        source_event_id="e",
        activity="quiz",
        topic=topic,
        score=score,
        completed_at=datetime(2026, 1, 1, tzinfo=UTC),
        events_recorded=seq,
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
    knowledge = apply_progress(apply_progress(None, "a", _progress()), "b", _progress("loops", 90, seq=2))

    assert LearnerKnowledge.from_dict(knowledge.to_dict()) == knowledge


# ------------------------------------------------------------------ deduplication in bounded space
def _event(seq: int, score: int | None = None, topic: str = "variables") -> tuple[str, ProgressUpdatedV1]:
    """A progress event with its CloudEvent id; its ``events_recorded`` is its seq."""
    return f"ce-{seq}", _progress(topic, score if score is not None else seq % 101, seq=seq)


def _apply_all(knowledge: LearnerKnowledge | None, deliveries: list[int]) -> LearnerKnowledge | None:
    for seq in deliveries:
        knowledge = apply_progress(knowledge, *_event(seq))
    return knowledge


def apply_by_id(knowledge: LearnerKnowledge | None, applied: set[str], event_id: str, event: ProgressUpdatedV1):
    """The reference: dedupe by remembering every CloudEvent id (the old, unbounded way)."""
    if event_id in applied:
        return knowledge
    applied.add(event_id)
    return apply_progress(_forgetful(knowledge), event_id, event)


def _forgetful(knowledge: LearnerKnowledge | None) -> LearnerKnowledge | None:
    """Knowledge with no dedupe memory: apply_progress applies whatever it is given."""
    return LearnerKnowledge(knowledge.learner_id, knowledge.topics) if knowledge else None


def test_the_first_event_sets_the_mark_just_behind_it() -> None:
    knowledge = apply_progress(None, *_event(41))

    assert (knowledge.applied_through, knowledge.applied_above) == (41, ())


def test_a_redelivered_seq_is_a_duplicate_whatever_its_cloud_event_id() -> None:
    once = _apply_all(None, [1, 2, 3])

    assert apply_progress(once, "another-id", _progress(seq=2)) is once


def test_events_reordered_within_the_window_are_each_applied_once() -> None:
    knowledge = _apply_all(None, [1, 4, 3, 4, 2, 3, 5])

    assert knowledge is not None
    assert knowledge.topics["variables"].attempts == 5
    assert (knowledge.applied_through, knowledge.applied_above) == (5, ())


def test_seqs_above_a_gap_are_remembered_until_the_gap_fills() -> None:
    knowledge = _apply_all(None, [1, 3, 5])

    assert knowledge is not None
    assert (knowledge.applied_through, knowledge.applied_above) == (1, (3, 5))


def test_a_gap_older_than_the_window_is_given_up_and_its_event_then_counts_as_a_duplicate() -> None:
    knowledge = _apply_all(None, [1, *range(3, 3 + APPLIED_WINDOW + 1)])

    assert knowledge is not None
    assert knowledge.applied_through == 2 + APPLIED_WINDOW + 1
    assert knowledge.applied_above == ()
    assert apply_progress(knowledge, *_event(2)) is knowledge


def test_replays_after_a_restart_are_applied_once() -> None:
    before = _apply_all(None, [1, 2, 4])
    assert before is not None
    reloaded = LearnerKnowledge.from_dict(json.loads(json.dumps(before.to_dict())))

    after = _apply_all(reloaded, [1, 2, 4, 3, 4])

    assert after is not None
    assert after.topics["variables"].attempts == 4
    assert (after.applied_through, after.applied_above) == (4, ())


def test_a_projection_of_the_id_list_format_recognises_its_ids_until_the_next_new_event() -> None:
    old = {
        "learner_id": "ada",
        "topics": {"variables": {"attempts": 2, "scores": [1, 2], "mastery": 20}},
        "applied_event_ids": ["ce-1", "ce-2"],
    }
    migrated = LearnerKnowledge.from_dict(old)

    assert apply_progress(migrated, *_event(2)) is migrated
    after = apply_progress(migrated, *_event(3))
    assert after.topics["variables"].attempts == 3
    assert (after.applied_through, after.legacy_ids) == (3, frozenset())
    assert "applied_event_ids" not in after.to_dict()
    assert "legacy_ids" not in after.to_dict()
    assert apply_progress(after, *_event(2)) is after


def test_the_dedupe_memory_stays_small_after_20000_events() -> None:
    knowledge = _apply_all(None, list(range(1, 20_001)))

    assert len(json.dumps(knowledge.to_dict() if knowledge else None)) < 4_000


@st.composite
def deliveries(draw: st.DrawFn) -> list[int]:
    """Seqs 1..n as an in-order partition delivers them around redeliveries: each first delivery
    at most WINDOW places late (seq 1 first), and redeliveries of anything delivered before."""
    n = draw(st.integers(1, 60))
    order = sorted(range(1, n + 1), key=lambda seq: seq + draw(st.integers(0, 8)) if seq > 1 else 0)
    stream: list[int] = []
    for seq in order:
        stream.append(seq)
        stream += draw(st.lists(st.sampled_from(stream), max_size=2))
    return stream


@settings(max_examples=200, deadline=None)
@given(deliveries(), st.booleans())
def test_any_redelivery_or_reorder_within_the_window_applies_each_seq_exactly_once(
    stream: list[int], restart_between_events: bool
) -> None:
    knowledge: LearnerKnowledge | None = None
    reference: LearnerKnowledge | None = None
    seen: set[str] = set()
    for seq in stream:
        if restart_between_events and knowledge is not None:
            knowledge = LearnerKnowledge.from_dict(json.loads(json.dumps(knowledge.to_dict())))
        knowledge = apply_progress(knowledge, *_event(seq))
        reference = apply_by_id(reference, seen, *_event(seq))

    assert knowledge is not None
    assert reference is not None
    assert knowledge.topics == reference.topics
    assert knowledge.topics["variables"].attempts == len(set(stream))
    assert (knowledge.applied_through, knowledge.applied_above) == (max(stream), ())


@settings(max_examples=100, deadline=None)
@given(deliveries())
def test_redeliveries_alone_give_the_knowledge_of_the_distinct_events_in_order(stream: list[int]) -> None:
    in_order = sorted(set(stream))
    with_redeliveries = [seq for first in in_order for seq in (first, *[s for s in stream if s < first][:2])]

    assert _apply_all(None, with_redeliveries) == _apply_all(None, in_order)
