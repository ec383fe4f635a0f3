"""A learner's state folded event by event: the same answers as a full replay, at a bounded cost.

``replay`` (learner.py) recomputes everything from every event: obvious, and the reference. This
module keeps what the rules actually need and updates it with one event at a time, in time order:

- counters and totals (XP, activity counts, perfect quizzes, time, hints, scores);
- the streak as (streak through the closed days) + the few open local days: a later event can still
  land on a local date up to two days before the newest one (time zones span -12..+14 hours), so
  days more than ``OPEN_DAYS`` before the newest are closed for good and folded into the streak;
- per topic: counts, score sums, the last ``RECENCY_WINDOW`` exercise and quiz scores (all that
  mastery weighs), the FSRS card and the mastery at its last event;
- unlocked achievements, the zone the learner last named, the XP of the recent UTC weeks (the
  leaderboard's) and of the recent local weeks (the learner's own).

Its size does not depend on how many events were folded. A day's rollup (counts, XP, scores) is
handed out as a :class:`ClosedDay` when the day closes, for history and statistics to read later.
Events must come in time order (``LearningEvent.sort_key``); a late event is folded by starting
again from a checkpoint (an earlier fold) and folding the events after it again.
"""

from __future__ import annotations

from collections import deque
from collections.abc import Iterable
from dataclasses import dataclass, field, replace
from datetime import date, datetime, timedelta
from typing import Any

from fsrs import Card

from learnflow_common.vocabulary import ACTIVITIES
from user_progress.domain import reviews
from user_progress.domain.achievements import CATALOG
from user_progress.domain.calendar import iso_week, local_date, offset_zone, week_of
from user_progress.domain.events import LearningEvent, as_datetime
from user_progress.domain.learner import LearnerState, TopicState, metrics_of
from user_progress.domain.mastery import RECENCY_WINDOW, Attempt, Mastery, topic_mastery
from user_progress.domain.streaks import Streak, next_streak, streak_through
from user_progress.domain.xp import event_xp

#: Local days this far before the newest active day are closed: no event in time order can reach them.
OPEN_DAYS = 3
#: UTC weeks whose XP is kept (the late-event horizon reaches back five of them).
WEEKS_KEPT = 8


@dataclass(frozen=True)
class DayRollup:
    """What one local day adds up to: the figures history and statistics report for it."""

    date: date
    events: int = 0
    by_activity: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIVITIES, 0))
    xp: int = 0
    score_sum: int = 0
    score_count: int = 0
    duration_seconds: int = 0
    hints_used: int = 0
    topics: tuple[str, ...] = ()

    def add(self, event: LearningEvent) -> DayRollup:
        return replace(
            self,
            events=self.events + 1,
            by_activity={**self.by_activity, event.activity: self.by_activity[event.activity] + 1},
            xp=self.xp + event_xp(event),
            score_sum=self.score_sum + (event.graded_score or 0),
            score_count=self.score_count + (event.graded_score is not None),
            duration_seconds=self.duration_seconds + (event.duration_seconds or 0),
            hints_used=self.hints_used + (event.hints_used or 0),
            topics=tuple(sorted({*self.topics, event.topic})),
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "date": self.date.isoformat(),
            "events": self.events,
            "by_activity": self.by_activity,
            "xp": self.xp,
            "score_sum": self.score_sum,
            "score_count": self.score_count,
            "duration_seconds": self.duration_seconds,
            "hints_used": self.hints_used,
            "topics": list(self.topics),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DayRollup:
        return cls(**{**data, "date": date.fromisoformat(data["date"]), "topics": tuple(data["topics"])})


@dataclass(frozen=True)
class Standing:
    """Where the learner stood at the end of an active day: total XP and the streak through it."""

    xp_total: int = 0
    streak: Streak = field(default_factory=Streak)

    def to_dict(self) -> dict[str, Any]:
        return {"xp_total": self.xp_total, "streak": streak_to_dict(self.streak)}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> Standing:
        return cls(data["xp_total"], streak_from_dict(data["streak"]))


@dataclass(frozen=True)
class ClosedDay:
    """A day that no event in time order can change any more, with where the learner stood after it."""

    rollup: DayRollup
    standing: Standing

    def to_dict(self) -> dict[str, Any]:
        return {**self.rollup.to_dict(), **self.standing.to_dict()}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> ClosedDay:
        standing = Standing.from_dict(data)
        rollup = DayRollup.from_dict({k: v for k, v in data.items() if k not in ("xp_total", "streak")})
        return cls(rollup, standing)


@dataclass(frozen=True)
class TopicFold:
    topic: str
    #: the FSRS card and today's review (None until the topic's first graded attempt)
    review: reviews.DailyReview | None
    mastery: Mastery
    last_activity_at: datetime
    counts: dict[str, int]
    score_sum: int = 0
    score_count: int = 0
    #: the newest exercises as (score, hints) and quiz/review scores, oldest first
    exercises: tuple[tuple[int, int | None], ...] = ()
    quizzes: tuple[int, ...] = ()

    @property
    def card(self) -> Card | None:
        return self.review.card if self.review else None

    def attempts(self) -> list[Attempt]:
        return [Attempt("exercise", score, hints) for score, hints in self.exercises] + [
            Attempt("quiz", score) for score in self.quizzes
        ]

    def to_dict(self) -> dict[str, Any]:
        return {
            "topic": self.topic,
            "review": self.review.to_dict() if self.review else None,
            "mastery": self.mastery.__dict__,
            "last_activity_at": self.last_activity_at.isoformat(),
            "counts": self.counts,
            "score_sum": self.score_sum,
            "score_count": self.score_count,
            "exercises": [list(pair) for pair in self.exercises],
            "quizzes": list(self.quizzes),
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> TopicFold:
        return cls(
            topic=data["topic"],
            review=reviews.DailyReview.from_dict(data["review"]) if data["review"] else None,
            mastery=Mastery(**data["mastery"]),
            last_activity_at=as_datetime(data["last_activity_at"]),
            counts=dict(data["counts"]),
            score_sum=data["score_sum"],
            score_count=data["score_count"],
            exercises=tuple((score, hints) for score, hints in data["exercises"]),
            quizzes=tuple(data["quizzes"]),
        )


@dataclass(frozen=True)
class LearnerFold:
    learner_id: str
    #: the sort key of the newest event folded: the next one must come after it
    last_event: LearningEvent | None = None
    named_zone: str | None = None
    xp: int = 0
    counts: dict[str, int] = field(default_factory=lambda: dict.fromkeys(ACTIVITIES, 0))
    perfect_quizzes: int = 0
    totals: DayRollup = field(default_factory=lambda: DayRollup(date.min))
    closed: Standing = field(default_factory=Standing)
    closed_days: int = 0
    open_days: tuple[DayRollup, ...] = ()
    topics: dict[str, TopicFold] = field(default_factory=dict)
    unlocked: dict[str, datetime] = field(default_factory=dict)
    #: XP per UTC ISO week (the leaderboard's weeks), the newest WEEKS_KEPT
    week_xp: dict[str, int] = field(default_factory=dict)
    #: XP per local ISO week (the learner's weeks: status and statistics), the newest WEEKS_KEPT
    local_week_xp: dict[str, int] = field(default_factory=dict)

    @property
    def events(self) -> int:
        return sum(self.counts.values())

    @property
    def streak(self) -> Streak:
        """The streak through the last active day."""
        return streak_through((day.date for day in self.open_days), self.closed.streak)

    @property
    def timezone(self) -> str:
        if self.named_zone:
            return self.named_zone
        return offset_zone(self.last_event.completed_at) if self.last_event else "UTC"

    @property
    def active_days(self) -> int:
        return self.closed_days + len(self.open_days)

    def follows(self, event: LearningEvent) -> bool:
        """Whether ``event`` comes after everything folded so far (else it must be re-folded)."""
        return self.last_event is None or event.sort_key > self.last_event.sort_key

    def open_standings(self) -> list[ClosedDay]:
        """The open days with where the learner stood after each, as they would close now."""
        standing, result = self.closed, []
        for day in self.open_days:
            standing = Standing(standing.xp_total + day.xp, next_streak(standing.streak, day.date))
            result.append(ClosedDay(day, standing))
        return result

    def state(self) -> LearnerState:
        """The same value ``replay`` computes from all the events."""
        topics = {
            name: TopicState(
                topic=name,
                mastery=topic.mastery,
                counts=topic.counts,
                average_score=round(topic.score_sum / topic.score_count, 2) if topic.score_count else None,
                last_activity_at=topic.last_activity_at,
                card=topic.card,
            )
            for name, topic in self.topics.items()
        }
        streak = self.streak
        return LearnerState(
            learner_id=self.learner_id,
            timezone=self.timezone,
            xp=self.xp,
            activity_counts=dict(self.counts),
            streak=streak,
            topics=topics,
            metrics=metrics_of(self.xp, self.counts, self.perfect_quizzes, streak, topics),
            unlocked=dict(self.unlocked),
            last_activity_at=self.last_event.completed_at if self.last_event else None,
        )

    def to_dict(self) -> dict[str, Any]:
        return {
            "learner_id": self.learner_id,
            "last_event": self.last_event.to_log() if self.last_event else None,
            "named_zone": self.named_zone,
            "xp": self.xp,
            "counts": self.counts,
            "perfect_quizzes": self.perfect_quizzes,
            "totals": self.totals.to_dict(),
            "closed": self.closed.to_dict(),
            "closed_days": self.closed_days,
            "open_days": [day.to_dict() for day in self.open_days],
            "topics": {name: topic.to_dict() for name, topic in self.topics.items()},
            "unlocked": {key: value.isoformat() for key, value in self.unlocked.items()},
            "week_xp": self.week_xp,
            "local_week_xp": self.local_week_xp,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> LearnerFold:
        learner_id = data["learner_id"]
        last = data["last_event"]
        return cls(
            learner_id=learner_id,
            last_event=LearningEvent.from_log(learner_id, last) if last else None,
            named_zone=data["named_zone"],
            xp=data["xp"],
            counts=dict(data["counts"]),
            perfect_quizzes=data["perfect_quizzes"],
            totals=DayRollup.from_dict(data["totals"]),
            closed=Standing.from_dict(data["closed"]),
            closed_days=data["closed_days"],
            open_days=tuple(DayRollup.from_dict(day) for day in data["open_days"]),
            topics={name: TopicFold.from_dict(topic) for name, topic in data["topics"].items()},
            unlocked={key: as_datetime(value) for key, value in data["unlocked"].items()},
            week_xp=dict(data["week_xp"]),
            local_week_xp=dict(data["local_week_xp"]),
        )


@dataclass(frozen=True)
class Folded:
    """One step: the new fold, and the days it closed (oldest first) for the day rollups."""

    fold: LearnerFold
    closed: tuple[ClosedDay, ...] = ()
    #: the folds after each of the last events folded, oldest first (as many as ``fold_events`` was asked to keep)
    recent: tuple[LearnerFold, ...] = ()


def fold_event(fold: LearnerFold, event: LearningEvent) -> Folded:
    """Folds the next event in time order (the one step ``replay`` takes for it, at constant cost)."""
    if not fold.follows(event):
        raise ValueError(f"event {event.event_id} is not after the last folded event: re-fold from a checkpoint")
    day = local_date(event, fold.named_zone)
    open_days = {rollup.date: rollup for rollup in fold.open_days}
    if day not in open_days and fold.closed.streak.last_active_date and day <= fold.closed.streak.last_active_date:
        raise ValueError(f"event {event.event_id} falls on {day}, a day already closed")
    open_days[day] = open_days.get(day, DayRollup(day)).add(event)
    streak = streak_through(open_days, fold.closed.streak)
    xp = fold.xp + event_xp(event)
    counts = {**fold.counts, event.activity: fold.counts[event.activity] + 1}
    topics = {**fold.topics, event.topic: _fold_topic(fold.topics.get(event.topic), event, day, streak)}
    perfect = fold.perfect_quizzes + (event.activity == "quiz" and event.score == 100)
    metrics = metrics_of(xp, counts, perfect, streak, topics)
    unlocked = dict(fold.unlocked)
    for achievement in CATALOG:
        if achievement.id not in unlocked and metrics[achievement.metric] >= achievement.threshold:
            unlocked[achievement.id] = event.completed_at
    week, local_week = iso_week(event.completed_at), week_of(day)
    weeks = {**fold.week_xp, week: fold.week_xp.get(week, 0) + event_xp(event)}
    local_weeks = {**fold.local_week_xp, local_week: fold.local_week_xp.get(local_week, 0) + event_xp(event)}
    folded = replace(
        fold,
        last_event=event,
        named_zone=event.timezone or fold.named_zone,
        xp=xp,
        counts=counts,
        perfect_quizzes=perfect,
        totals=fold.totals.add(event),
        open_days=tuple(open_days[key] for key in sorted(open_days)),
        topics=topics,
        unlocked=unlocked,
        week_xp={key: weeks[key] for key in sorted(weeks)[-WEEKS_KEPT:]},
        local_week_xp={key: local_weeks[key] for key in sorted(local_weeks)[-WEEKS_KEPT:]},
    )
    return _close_days(folded)


def fold_events(fold: LearnerFold, events: Iterable[LearningEvent], keep: int = 0) -> Folded:
    """Folds events (any order given; folded in time order); all the days they closed, and the
    folds after each of the last ``keep`` events (consecutive folds share most of their parts)."""
    closed: list[ClosedDay] = []
    recent: deque[LearnerFold] = deque(maxlen=keep)
    for event in sorted(events, key=lambda event: event.sort_key):
        step = fold_event(fold, event)
        fold = step.fold
        closed.extend(step.closed)
        recent.append(fold)
    return Folded(fold, tuple(closed), tuple(recent))


def _close_days(fold: LearnerFold) -> Folded:
    newest = fold.open_days[-1].date
    closing = [day for day in fold.open_days if day.date < newest - timedelta(days=OPEN_DAYS)]
    if not closing:
        return Folded(fold)
    closed = fold.open_standings()[: len(closing)]
    return Folded(
        replace(
            fold,
            closed=closed[-1].standing,
            closed_days=fold.closed_days + len(closed),
            open_days=fold.open_days[len(closing) :],
        ),
        tuple(closed),
    )


def _fold_topic(previous: TopicFold | None, event: LearningEvent, day: date, streak: Streak) -> TopicFold:
    review = previous.review if previous else None
    if event.graded_score is not None:
        attempt = reviews.GradedAttempt(day, event.graded_score, event.completed_at)
        review = reviews.next_review(review, event.topic, attempt)
    exercises = previous.exercises if previous else ()
    quizzes = previous.quizzes if previous else ()
    if event.activity == "exercise" and event.score is not None:
        exercises = (*exercises, (event.score, event.hints_used))[-RECENCY_WINDOW:]
    if event.activity in ("quiz", "review") and event.score is not None:
        quizzes = (*quizzes, event.score)[-RECENCY_WINDOW:]
    counts = dict(previous.counts) if previous else {}
    counts[event.activity] = counts.get(event.activity, 0) + 1
    topic = TopicFold(
        topic=event.topic,
        review=review,
        mastery=Mastery(0, "Beginner", 0, 0, 0, 0),
        last_activity_at=event.completed_at,
        counts=counts,
        score_sum=(previous.score_sum if previous else 0) + (event.graded_score or 0),
        score_count=(previous.score_count if previous else 0) + (event.graded_score is not None),
        exercises=exercises,
        quizzes=quizzes,
    )
    return replace(topic, mastery=topic_mastery(topic.attempts(), streak.current))


def streak_to_dict(streak: Streak) -> dict[str, Any]:
    last = streak.last_active_date
    return {**streak.__dict__, "last_active_date": last.isoformat() if last else None}


def streak_from_dict(data: dict[str, Any]) -> Streak:
    last = data["last_active_date"]
    return Streak(**{**data, "last_active_date": date.fromisoformat(last) if last else None})
