"""The Course Agent's own view of a learner, built only from progress events. Pure.

It lets lessons be personalised while the User Progress service is down. Events may arrive twice
or out of order (Kafka redelivery), so applying one is idempotent, and a topic's mastery and review
date come from its latest event by ``completed_at``, whatever the arrival order.

Deduplication in bounded space. Every ``learnflow.progress.updated.v1`` carries ``events_recorded``:
User Progress's count of the learner's recorded events after this one. The learner's actor
serialises recording, so the count goes up by exactly one per recorded event, and the events are
published in that order on the learner's Kafka partition: it is a per-learner sequence number
("seq"). The projection remembers ``applied_through`` (every seq up to it is applied) and
``applied_above`` (the seqs above it applied out of order, at most APPLIED_WINDOW of them), a few
bytes whatever the history, where remembering every event id grew by ~41 bytes an event.

- The first event a projection applies (a new one, or one converted from the id-list format) sets
  the mark to seq - 1: the partition is in order, so everything before it was delivered earlier
  (to the User Progress fallback, or to the old format's ids).
- When more than APPLIED_WINDOW seqs wait above a gap, the lowest gap is given up: the mark moves
  to the lowest seq above it. An event that fills a gap given up is then treated as a duplicate
  (it is more than APPLIED_WINDOW events late on an in-order partition: it was a redelivery).
- A projection stored before this (``applied_event_ids``, the last 2,000 CloudEvent ids) keeps
  those ids as ``legacy_ids`` only to recognise redeliveries of them, until the first new event
  sets the mark; then they are dropped.

Per-item evidence in bounded space. A progress event may carry per-item results (``items``: which
question or task, correct or not, after how many tries and hints): the evidence the student model
(``student_model.py``) estimates mastery from. The projection keeps, per item, its latest
ITEM_RESULTS_KEPT results in time order (by the event's ``completed_at``, then the order answered
within the event, whatever the arrival order), for at most ITEMS_KEPT items: when a new item would
make one too many, the item practised least recently is forgotten (ties: the lower item id). Recent
evidence is what knowledge tracing weighs most, so what is dropped is what matters least. A
projection stored before items existed has none and is read as such.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from learnflow_common.events import ProgressUpdatedV1

RECENT_SCORES = 10
#: How many seqs above the mark (applied out of order) a projection remembers.
APPLIED_WINDOW = 256
#: The latest results kept per item, and the items kept per learner (the least recently practised
#: go first): at most ITEMS_KEPT * ITEM_RESULTS_KEPT results, < 80 KB stored whatever the history.
ITEM_RESULTS_KEPT = 5
ITEMS_KEPT = 128


@dataclass(frozen=True, order=True)
class ItemAttempt:
    """One result on one item, ordered as the learner produced them: by the event's time, then by
    its place among the event's items."""

    at: datetime
    position: int
    correct: bool
    attempts: int = 1
    hints_used: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "at": self.at.isoformat(),
            "position": self.position,
            "correct": self.correct,
            "attempts": self.attempts,
            "hints_used": self.hints_used,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemAttempt:
        return cls(**{**data, "at": datetime.fromisoformat(data["at"])})


@dataclass(frozen=True)
class TopicKnowledge:
    attempts: int = 0
    #: the last RECENT_SCORES scores, oldest first
    scores: tuple[int, ...] = ()
    mastery: int = 0
    next_review_at: datetime | None = None
    last_activity_at: datetime | None = None

    @property
    def recent_average(self) -> float | None:
        return sum(self.scores) / len(self.scores) if self.scores else None

    def to_dict(self) -> dict[str, Any]:
        return {
            "attempts": self.attempts,
            "scores": list(self.scores),
            "mastery": self.mastery,
            "next_review_at": self.next_review_at.isoformat() if self.next_review_at else None,
            "last_activity_at": self.last_activity_at.isoformat() if self.last_activity_at else None,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopicKnowledge:
        return cls(
            attempts=data["attempts"],
            scores=tuple(data["scores"]),
            mastery=data.get("mastery", 0),
            next_review_at=_datetime(data.get("next_review_at")),
            last_activity_at=_datetime(data.get("last_activity_at")),
        )


def _in_order(pair: tuple[str, ItemAttempt]) -> tuple[datetime, int, bool, int, int, str]:
    """The order of ``ItemAttempt`` then the item id, as a plain tuple (sorting compares them fast)."""
    item_id, attempt = pair
    return (attempt.at, attempt.position, attempt.correct, attempt.attempts, attempt.hints_used, item_id)


def _datetime(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class LearnerKnowledge:
    learner_id: str
    topics: dict[str, TopicKnowledge] = field(default_factory=dict)
    #: every seq (``events_recorded``) up to this one is applied; None until the first event
    applied_through: int | None = None
    #: seqs above ``applied_through`` applied out of order, ascending (at most APPLIED_WINDOW)
    applied_above: tuple[int, ...] = ()
    #: the old format's CloudEvent ids, kept only until the mark is set (see the module docstring)
    legacy_ids: frozenset[str] = frozenset()
    #: item id -> its latest results, oldest first (see the module docstring for the bounds)
    items: dict[str, tuple[ItemAttempt, ...]] = field(default_factory=dict)

    def mastery(self, topic: str) -> int:
        known = self.topics.get(topic)
        return known.mastery if known else 0

    def item_results(self) -> list[tuple[str, ItemAttempt]]:
        """Every kept result with its item, in the order the learner produced them (the student
        model's input)."""
        results = [(item_id, attempt) for item_id, attempts in self.items.items() for attempt in attempts]
        return sorted(results, key=_in_order)

    def to_dict(self) -> dict[str, Any]:
        return {
            "learner_id": self.learner_id,
            "topics": {name: topic.to_dict() for name, topic in self.topics.items()},
            "applied_through": self.applied_through,
            "applied_above": list(self.applied_above),
            **({"legacy_ids": sorted(self.legacy_ids)} if self.legacy_ids else {}),
            "items": {item_id: [attempt.to_dict() for attempt in attempts] for item_id, attempts in self.items.items()},
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnerKnowledge:
        return cls(
            learner_id=data["learner_id"],
            topics={name: TopicKnowledge.from_dict(topic) for name, topic in data["topics"].items()},
            applied_through=data.get("applied_through"),
            applied_above=tuple(data.get("applied_above", ())),
            # the format before seqs: its ids recognise redeliveries until the first new event
            legacy_ids=frozenset(data.get("legacy_ids", data.get("applied_event_ids", ()))),
            # a projection stored before items existed has none
            items={
                item_id: tuple(ItemAttempt.from_dict(attempt) for attempt in attempts)
                for item_id, attempts in data.get("items", {}).items()
            },
        )

    def has_applied(self, event_id: str, seq: int) -> bool:
        if self.applied_through is None:
            return event_id in self.legacy_ids
        return seq <= self.applied_through or seq in self.applied_above

    def with_applied(self, seq: int) -> LearnerKnowledge:
        """The dedupe memory after applying ``seq`` (not already applied)."""
        through = seq - 1 if self.applied_through is None else self.applied_through
        above = sorted({*self.applied_above, seq})
        while len(above) > APPLIED_WINDOW:  # give up the lowest gap
            through = above.pop(0)
        while above and above[0] == through + 1:
            through = above.pop(0)
        return replace(self, applied_through=through, applied_above=tuple(above), legacy_ids=frozenset())

    def with_item_results(self, event: ProgressUpdatedV1) -> LearnerKnowledge:
        """The item evidence after adding the event's item results (kept within the bounds)."""
        if not event.items:
            return self
        items = dict(self.items)
        for position, result in enumerate(event.items):
            attempt = ItemAttempt(event.completed_at, position, result.correct, result.attempts, result.hints_used)
            items[result.item_id] = tuple(sorted((*items.get(result.item_id, ()), attempt)))[-ITEM_RESULTS_KEPT:]
        while len(items) > ITEMS_KEPT:
            del items[min(items, key=lambda item_id: (items[item_id][-1].at, item_id))]
        return replace(self, items=items)


def apply_progress(knowledge: LearnerKnowledge | None, event_id: str, event: ProgressUpdatedV1) -> LearnerKnowledge:
    """Folds one progress event into the learner's knowledge; a repeated event (same seq, or an id
    of the old format) changes nothing and returns ``knowledge`` itself."""
    knowledge = knowledge or LearnerKnowledge(learner_id=event.learner_id)
    if knowledge.has_applied(event_id, event.events_recorded):
        return knowledge
    topic = knowledge.topics.get(event.topic, TopicKnowledge())
    scores = topic.scores if event.score is None else (*topic.scores, event.score)[-RECENT_SCORES:]
    latest = topic.last_activity_at is None or event.completed_at >= topic.last_activity_at
    updated = replace(
        topic,
        attempts=topic.attempts + 1,
        scores=scores,
        mastery=event.topic_mastery if latest else topic.mastery,
        next_review_at=event.topic_next_review_at if latest else topic.next_review_at,
        last_activity_at=event.completed_at if latest else topic.last_activity_at,
    )
    topics = {**knowledge.topics, event.topic: updated}
    return replace(knowledge, topics=topics).with_item_results(event).with_applied(event.events_recorded)


def apply_progress_batch(
    knowledge: LearnerKnowledge | None, events: Sequence[tuple[str, ProgressUpdatedV1]]
) -> tuple[LearnerKnowledge | None, list[bool]]:
    """Folds a learner's events (event id, event) in the order given; with each event whether it
    changed the knowledge (False: applied before). Nothing changed: ``knowledge`` itself."""
    applied: list[bool] = []
    for event_id, event in events:
        updated = apply_progress(knowledge, event_id, event)
        applied.append(updated is not knowledge)
        knowledge = updated
    return knowledge, applied


def from_status(status: dict[str, Any]) -> LearnerKnowledge:
    """Knowledge from User Progress's GET /status, when no progress event has reached us yet."""
    return LearnerKnowledge(
        learner_id=status["learner_id"],
        topics={
            topic["topic"]: TopicKnowledge(
                attempts=sum(topic["counts"].values()),
                scores=(round(topic["average_score"]),) if topic.get("average_score") is not None else (),
                mastery=topic["mastery"],
                next_review_at=_datetime(topic.get("next_review_at")),
                last_activity_at=_datetime(topic.get("last_activity_at")),
            )
            for topic in status.get("topics", [])
        },
    )
