"""A learning event: what the learner did, on which topic, when, and how well (and, optionally, how
each item of it went: the evidence the Course Agent's student model learns from)."""

from __future__ import annotations

import hashlib
import json
from dataclasses import dataclass, fields
from datetime import UTC, datetime
from typing import Any

from learnflow_common.vocabulary import GRADED_ACTIVITIES, Activity


class EventConflict(Exception):
    """The event_id was already used for an event with a different body."""


def as_datetime(value: str | datetime) -> datetime:
    """Serialised records hold ISO strings; records built in memory hold datetimes."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


@dataclass(frozen=True)
class ItemResult:
    """How the learner did on one item (a question or a task) of the activity."""

    item_id: str
    correct: bool
    attempts: int = 1
    hints_used: int = 0

    def to_dict(self) -> dict[str, Any]:
        return {name: getattr(self, name) for name in _ITEM_FIELDS}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ItemResult:
        return cls(**data)


@dataclass(frozen=True)
class LearningEvent:
    event_id: str
    learner_id: str
    activity: Activity
    topic: str
    completed_at: datetime
    score: int | None = None
    duration_seconds: int | None = None
    hints_used: int | None = None
    timezone: str | None = None
    lesson_id: str | None = None
    #: per-item results, in the order the learner answered them; () when the client sent none
    items: tuple[ItemResult, ...] = ()

    @property
    def graded_score(self) -> int | None:
        """The score, when the activity is graded. A lesson is not graded: a score sent with one is
        kept in the log (and the export) but earns no XP, is not averaged and reviews nothing."""
        return self.score if self.activity in GRADED_ACTIVITIES else None

    @property
    def sort_key(self) -> tuple[datetime, str]:
        """The canonical order of a learner's history: by time, ties broken by id, never by arrival."""
        return (self.completed_at, self.event_id)

    def fingerprint(self) -> str:
        """Same body, same fingerprint: what makes a redelivery recognisable. The instant counts,
        not how it was written: ``10:00+01:00`` and ``09:00Z`` are the same event."""
        body = {**self.to_dict(), "completed_at": self.completed_at.astimezone(UTC).isoformat()}
        canonical = json.dumps(body, sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        """The stored form. ``items`` appears only when there are some: an event without them has
        the dict (and so the fingerprint) it had before items existed. Field by field rather than
        ``dataclasses.asdict``, which deep-copies every value (a third of what recording an event
        cost); the values are immutable, and the unit tests hold both forms equal."""
        data: dict[str, Any] = {name: getattr(self, name) for name in _SCALAR_FIELDS}
        data["completed_at"] = self.completed_at.isoformat()
        if self.items:
            data["items"] = [item.to_dict() for item in self.items]
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearningEvent:
        items = tuple(ItemResult.from_dict(item) for item in data.get("items") or ())
        return cls(**{**data, "completed_at": as_datetime(data["completed_at"]), "items": items})

    def to_log(self) -> dict[str, Any]:
        """The stored form in the learner's event log: no learner id (the key says it), no nulls."""
        return {key: value for key, value in self.to_dict().items() if value is not None and key != "learner_id"}

    @classmethod
    def from_log(cls, learner_id: str, data: dict[str, Any]) -> LearningEvent:
        return cls.from_dict({**data, "learner_id": learner_id})


#: The stored forms' fields, read one by one (see ``LearningEvent.to_dict``); ``items`` is a list of dicts.
_ITEM_FIELDS = tuple(field.name for field in fields(ItemResult))
_SCALAR_FIELDS = tuple(field.name for field in fields(LearningEvent) if field.name != "items")
