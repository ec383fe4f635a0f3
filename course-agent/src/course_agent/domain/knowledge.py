"""The Course Agent's own view of a learner, built only from progress events. Pure.

It lets lessons be personalised while the User Progress service is down. Events may arrive twice
or out of order (Kafka redelivery): applying one is idempotent on its CloudEvent id, and a topic's
mastery and review date come from its latest event by ``completed_at``, whatever the arrival order.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any

from learnflow_common.events import ProgressUpdatedV1

RECENT_SCORES = 10
APPLIED_MEMORY = 2000


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


def _datetime(value: str | datetime | None) -> datetime | None:
    if value is None or isinstance(value, datetime):
        return value
    return datetime.fromisoformat(value)


@dataclass(frozen=True)
class LearnerKnowledge:
    learner_id: str
    topics: dict[str, TopicKnowledge] = field(default_factory=dict)
    #: CloudEvent ids already applied (the last APPLIED_MEMORY of them)
    applied_event_ids: tuple[str, ...] = ()

    def mastery(self, topic: str) -> int:
        known = self.topics.get(topic)
        return known.mastery if known else 0

    def to_dict(self) -> dict[str, Any]:
        return {
            "learner_id": self.learner_id,
            "topics": {name: topic.to_dict() for name, topic in self.topics.items()},
            "applied_event_ids": list(self.applied_event_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnerKnowledge:
        return cls(
            learner_id=data["learner_id"],
            topics={name: TopicKnowledge.from_dict(topic) for name, topic in data["topics"].items()},
            applied_event_ids=tuple(data["applied_event_ids"]),
        )


def apply_progress(knowledge: LearnerKnowledge | None, event_id: str, event: ProgressUpdatedV1) -> LearnerKnowledge:
    """Folds one progress event into the learner's knowledge; a repeated event changes nothing."""
    knowledge = knowledge or LearnerKnowledge(learner_id=event.learner_id)
    if event_id in knowledge.applied_event_ids:
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
    return replace(
        knowledge,
        topics={**knowledge.topics, event.topic: updated},
        applied_event_ids=(*knowledge.applied_event_ids, event_id)[-APPLIED_MEMORY:],
    )


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
