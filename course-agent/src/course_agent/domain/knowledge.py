"""The Course Agent's own view of a learner, built only from progress events. Pure.

It lets lessons be personalised while the User Progress service is down. Events may arrive twice
or out of order (Kafka redelivery): applying one is idempotent on its CloudEvent id.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field, replace
from typing import Any

from learnflow_common.events import ProgressUpdatedV1


@dataclass(frozen=True)
class TopicKnowledge:
    attempts: int = 0
    scores: tuple[int, ...] = ()


@dataclass(frozen=True)
class LearnerKnowledge:
    learner_id: str
    topics: dict[str, TopicKnowledge] = field(default_factory=dict)
    applied_event_ids: frozenset[str] = frozenset()

    def to_dict(self) -> dict[str, Any]:
        return {
            "learner_id": self.learner_id,
            "topics": {name: asdict(topic) for name, topic in self.topics.items()},
            "applied_event_ids": sorted(self.applied_event_ids),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnerKnowledge:
        return cls(
            learner_id=data["learner_id"],
            topics={
                name: TopicKnowledge(attempts=topic["attempts"], scores=tuple(topic["scores"]))
                for name, topic in data["topics"].items()
            },
            applied_event_ids=frozenset(data["applied_event_ids"]),
        )


def apply_progress(knowledge: LearnerKnowledge | None, event_id: str, event: ProgressUpdatedV1) -> LearnerKnowledge:
    """Folds one progress event into the learner's knowledge; a repeated event changes nothing."""
    knowledge = knowledge or LearnerKnowledge(learner_id=event.learner_id)
    if event_id in knowledge.applied_event_ids:
        return knowledge
    topic = knowledge.topics.get(event.topic, TopicKnowledge())
    scores = topic.scores if event.score is None else (*topic.scores, event.score)
    return replace(
        knowledge,
        topics={**knowledge.topics, event.topic: TopicKnowledge(attempts=topic.attempts + 1, scores=scores)},
        applied_event_ids=knowledge.applied_event_ids | {event_id},
    )
