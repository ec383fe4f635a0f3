"""The reference: a learner's state replayed from all their events, the slow and obvious way.

Every figure - XP, level, streak, topic mastery, review schedule, achievements - is recomputed from
the events in canonical order (``LearningEvent.sort_key``), so redelivered, late and out-of-order
events give exactly the state that in-order delivery gives: same input, same output. The service
folds instead (``fold.py``, bounded cost); property tests hold the fold to this replay.

``LearnerRecord`` and ``record_event`` are the storage of the first release (one value with every
event), kept to read and convert learners stored that way, and as the reference for idempotency.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field, replace
from datetime import date, datetime
from typing import Any

from fsrs import Card

from learnflow_common.vocabulary import ACTIVITIES
from user_progress.domain import reviews
from user_progress.domain.achievements import CATALOG, Achievement
from user_progress.domain.calendar import iso_week, learner_timezone, local_dates, week_of
from user_progress.domain.events import EventConflict, LearningEvent, as_datetime
from user_progress.domain.mastery import Attempt, Mastery, topic_mastery
from user_progress.domain.streaks import Streak, streak_through
from user_progress.domain.xp import event_xp


@dataclass(frozen=True)
class LearnerRecord:
    learner_id: str
    #: event_id -> event, every accepted event
    events: dict[str, LearningEvent] = field(default_factory=dict)
    #: event_id -> fingerprint: the idempotency memory
    fingerprints: dict[str, str] = field(default_factory=dict)
    #: achievement id -> unlock time, for those already announced (announce exactly once)
    announced: dict[str, datetime] = field(default_factory=dict)
    #: lesson_id -> {"topic", "assigned_at"}, from lesson-events
    lessons_assigned: dict[str, dict[str, str]] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "learner_id": self.learner_id,
            "events": [event.to_dict() for event in self.events.values()],
            "fingerprints": self.fingerprints,
            "announced": {key: value.isoformat() for key, value in self.announced.items()},
            "lessons_assigned": self.lessons_assigned,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnerRecord:
        events = [LearningEvent.from_dict(raw) for raw in data.get("events", [])]
        return cls(
            learner_id=data["learner_id"],
            events={event.event_id: event for event in events},
            fingerprints=dict(data.get("fingerprints", {})),
            announced={key: as_datetime(value) for key, value in data.get("announced", {}).items()},
            lessons_assigned=dict(data.get("lessons_assigned", {})),
        )


@dataclass(frozen=True)
class TopicState:
    topic: str
    mastery: Mastery
    counts: dict[str, int]
    average_score: float | None
    last_activity_at: datetime
    #: None while the topic has no graded attempt (lessons only)
    card: Card | None


@dataclass(frozen=True)
class LearnerState:
    learner_id: str
    timezone: str
    xp: int
    activity_counts: dict[str, int]
    #: through the last active day (``streaks.streak_on`` gives it as of a later day)
    streak: Streak
    topics: dict[str, TopicState]
    metrics: dict[str, int]
    unlocked: dict[str, datetime]
    last_activity_at: datetime | None


def week_xp(events: Iterable[LearningEvent], week: str) -> int:
    """XP earned in one UTC ISO week (the leaderboard's week)."""
    return sum(event_xp(event) for event in events if iso_week(event.completed_at) == week)


def local_week_xp(events: Iterable[LearningEvent], week: str) -> int:
    """XP earned in one of the learner's own ISO weeks (by the local date of each event)."""
    history = ordered(events)
    dates = local_dates(history)
    return sum(event_xp(event) for event in history if week_of(dates[event.event_id]) == week)


def ordered(events: Iterable[LearningEvent]) -> list[LearningEvent]:
    return sorted(events, key=lambda event: event.sort_key)


def replay(learner_id: str, events: Iterable[LearningEvent]) -> LearnerState:
    history = ordered(events)
    dates = local_dates(history)
    xp = 0
    counts: Counter[str] = Counter()
    perfect_quizzes = 0
    days: set[date] = set()
    streak = Streak()
    attempts: dict[str, list[Attempt]] = {}
    topic_events: dict[str, list[LearningEvent]] = {}
    topics: dict[str, TopicState] = {}
    unlocked: dict[str, datetime] = {}
    for event in history:
        xp += event_xp(event)
        counts[event.activity] += 1
        perfect_quizzes += event.activity == "quiz" and event.score == 100
        if dates[event.event_id] not in days:
            days.add(dates[event.event_id])
            streak = streak_through(days)
        attempts.setdefault(event.topic, []).append(Attempt(event.activity, event.score, event.hints_used))
        topic_events.setdefault(event.topic, []).append(event)
        topics[event.topic] = _topic_state(event, topic_events[event.topic], attempts[event.topic], dates, streak)
        metrics = metrics_of(xp, counts, perfect_quizzes, streak, topics)
        for achievement in CATALOG:
            if achievement.id not in unlocked and metrics[achievement.metric] >= achievement.threshold:
                unlocked[achievement.id] = event.completed_at
    return LearnerState(
        learner_id=learner_id,
        timezone=learner_timezone(history),
        xp=xp,
        activity_counts={activity: counts[activity] for activity in ACTIVITIES},
        streak=streak,
        topics=topics,
        metrics=metrics_of(xp, counts, perfect_quizzes, streak, topics),
        unlocked=unlocked,
        last_activity_at=history[-1].completed_at if history else None,
    )


def _topic_state(
    event: LearningEvent,
    events: Sequence[LearningEvent],
    attempts: Sequence[Attempt],
    dates: Mapping[str, date],
    streak: Streak,
) -> TopicState:
    graded = [(e, score) for e in events if (score := e.graded_score) is not None]
    card = reviews.schedule(
        event.topic, [reviews.GradedAttempt(dates[e.event_id], score, e.completed_at) for e, score in graded]
    )
    scores = [score for _, score in graded]
    return TopicState(
        topic=event.topic,
        mastery=topic_mastery(attempts, streak.current),
        counts=dict(Counter(e.activity for e in events)),
        average_score=round(sum(scores) / len(scores), 2) if scores else None,
        last_activity_at=event.completed_at,
        card=card,
    )


def metrics_of(
    xp: int, counts: Mapping[str, int], perfect: int, streak: Streak, topics: Mapping[str, Any]
) -> dict[str, int]:
    """The figures achievements are unlocked on (``topics``: anything with a ``mastery``)."""
    levels = [topic.mastery.level for topic in topics.values()]
    return {
        "events": sum(counts.values()),
        "lessons": counts.get("lesson", 0),
        "exercises": counts.get("exercise", 0),
        "quizzes": counts.get("quiz", 0),
        "reviews": counts.get("review", 0),
        "perfect_quizzes": perfect,
        "longest_streak": streak.longest,
        "topics_mastered": levels.count("Mastered"),
        "topics_proficient": levels.count("Mastered") + levels.count("Proficient"),
        "xp": xp,
    }


# ---------------------------------------------------------------------------------------- changes
@dataclass(frozen=True)
class Recorded:
    """The outcome of one event: the new record and state, and what changed (for events out)."""

    record: LearnerRecord
    state: LearnerState
    duplicate: bool
    newly_unlocked: tuple[Achievement, ...] = ()
    streak_changed: bool = False
    previous_streak: Streak = field(default_factory=Streak)


def record_event(record: LearnerRecord | None, event: LearningEvent) -> Recorded:
    """Accepts one event; the same event again changes nothing; a reused id with another body is refused."""
    record = record or LearnerRecord(learner_id=event.learner_id)
    fingerprint = event.fingerprint()
    seen = record.fingerprints.get(event.event_id)
    if seen == fingerprint:
        return Recorded(record, replay(record.learner_id, record.events.values()), duplicate=True)
    if seen is not None:
        raise EventConflict(event.event_id)
    before = replay(record.learner_id, record.events.values())
    updated = replace(
        record,
        events={**record.events, event.event_id: event},
        fingerprints={**record.fingerprints, event.event_id: fingerprint},
    )
    after = replay(updated.learner_id, updated.events.values())
    fresh = tuple(a for a in CATALOG if a.id in after.unlocked and a.id not in record.announced)
    updated = replace(updated, announced={**record.announced, **{a.id: after.unlocked[a.id] for a in fresh}})
    changed = (before.streak.current, before.streak.longest) != (after.streak.current, after.streak.longest)
    return Recorded(updated, after, False, fresh, changed, before.streak)


def assign_lesson(
    record: LearnerRecord | None, learner_id: str, lesson_id: str, topic: str, at: datetime
) -> LearnerRecord:
    """Remembers a lesson generated for the learner (idempotent on lesson_id)."""
    record = record or LearnerRecord(learner_id=learner_id)
    if lesson_id in record.lessons_assigned:
        return record
    return replace(
        record, lessons_assigned={**record.lessons_assigned, lesson_id: {"topic": topic, "assigned_at": at.isoformat()}}
    )
