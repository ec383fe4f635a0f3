"""The learner's progress record and how one learning event changes it. Pure: no I/O, no clock.

An event is identified by its ``event_id``; the record remembers a fingerprint of each accepted
event so that a redelivered event changes nothing and a reused id with a different body is
refused, whichever order events arrive in.
"""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field, replace
from datetime import datetime
from typing import Any, Literal

Activity = Literal["lesson", "exercise", "quiz", "review"]
ACTIVITIES: tuple[Activity, ...] = ("lesson", "exercise", "quiz", "review")


class EventConflict(Exception):
    """The event_id was already used for an event with a different body."""


def _as_datetime(value: str | datetime) -> datetime:
    """Dapr's actor serializer already turns ISO strings into datetimes; stored JSON has strings."""
    return value if isinstance(value, datetime) else datetime.fromisoformat(value)


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

    def fingerprint(self) -> str:
        """Same body, same fingerprint: what makes a redelivery recognisable."""
        canonical = json.dumps(self.to_dict(), sort_keys=True, separators=(",", ":"))
        return hashlib.sha256(canonical.encode()).hexdigest()

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["completed_at"] = self.completed_at.isoformat()
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearningEvent:
        return cls(**{**data, "completed_at": _as_datetime(data["completed_at"])})


@dataclass(frozen=True)
class LearnerRecord:
    learner_id: str
    events_recorded: int = 0
    activity_counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIVITIES, 0))
    last_activity_at: datetime | None = None
    #: event_id -> fingerprint of every accepted event (the idempotency memory)
    processed: dict[str, str] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["last_activity_at"] = self.last_activity_at.isoformat() if self.last_activity_at else None
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnerRecord:
        last = data.get("last_activity_at")
        return cls(**{**data, "last_activity_at": _as_datetime(last) if last else None})


@dataclass(frozen=True)
class Recorded:
    record: LearnerRecord
    duplicate: bool


def record_event(record: LearnerRecord | None, event: LearningEvent) -> Recorded:
    """Applies one event; a repeat of an accepted event returns the record unchanged."""
    record = record or LearnerRecord(learner_id=event.learner_id)
    fingerprint = event.fingerprint()
    seen = record.processed.get(event.event_id)
    if seen == fingerprint:
        return Recorded(record, duplicate=True)
    if seen is not None:
        raise EventConflict(event.event_id)
    counts = {**record.activity_counts, event.activity: record.activity_counts.get(event.activity, 0) + 1}
    last = max(filter(None, (record.last_activity_at, event.completed_at)))
    return Recorded(
        replace(
            record,
            events_recorded=record.events_recorded + 1,
            activity_counts=counts,
            last_activity_at=last,
            processed={**record.processed, event.event_id: fingerprint},
        ),
        duplicate=False,
    )
