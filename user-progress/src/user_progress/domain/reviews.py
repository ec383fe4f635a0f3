"""Spaced repetition per topic with FSRS (the ``fsrs`` package).

A topic gets a card at its first graded attempt (exercise, quiz or review with a score); lessons are
not graded, so a topic with lessons only has no card and is never due. The card is reviewed at most
once per local day, as FSRS intends: the graded attempts of one local day are one review, rated from
the day's lowest score (the weakest result decides; on a tie the earliest), at the time of that
attempt. Repeating a topic ten times in one sitting therefore moves the schedule once, not ten
times. Fuzzing is off and learning steps are empty (topics are reviewed in days, not minutes), so
the same history always gives the same schedule.

``schedule`` computes a card from a topic's whole graded history (the reference); ``DailyReview``
keeps what the next attempt needs and steps one attempt at a time (the fold). Property tests hold
them to each other.
"""

from __future__ import annotations

import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any

from fsrs import Card, Rating, Scheduler

SCHEDULER = Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())


@dataclass(frozen=True)
class GradedAttempt:
    day: date
    score: int
    at: datetime


def rating_for(score: int) -> Rating:
    if score >= 90:
        return Rating.Easy
    if score >= 70:
        return Rating.Good
    if score >= 50:
        return Rating.Hard
    return Rating.Again


def new_card(topic: str, introduced_at: datetime) -> Card:
    return Card(card_id=zlib.crc32(topic.encode()), due=introduced_at.astimezone(UTC))


def review(card: Card, score: int, at: datetime) -> Card:
    reviewed, _ = SCHEDULER.review_card(card, rating_for(score), review_datetime=at.astimezone(UTC))
    return reviewed


def schedule(topic: str, attempts: Sequence[GradedAttempt]) -> Card | None:
    """The reference: a topic's card from all its graded attempts in time order (``None``: none yet).
    Consecutive attempts on the same local date are one review, rated by the lowest score."""
    if not attempts:
        return None
    card = new_card(topic, attempts[0].at)
    sessions: list[list[GradedAttempt]] = []
    for attempt in attempts:
        if sessions and sessions[-1][0].day == attempt.day:
            sessions[-1].append(attempt)
        else:
            sessions.append([attempt])
    for session in sessions:
        weakest = min(session, key=lambda attempt: attempt.score)  # min keeps the earliest of equals
        card = review(card, weakest.score, weakest.at)
    return card


@dataclass(frozen=True)
class DailyReview:
    """A topic's card, the card before today's review and today's lowest score: enough to fold the
    next graded attempt without the history."""

    card: Card
    before_day: Card
    day: date
    day_score: int

    def then(self, attempt: GradedAttempt) -> DailyReview:
        if attempt.day != self.day:
            return DailyReview(review(self.card, attempt.score, attempt.at), self.card, attempt.day, attempt.score)
        if attempt.score < self.day_score:
            return DailyReview(
                review(self.before_day, attempt.score, attempt.at), self.before_day, self.day, attempt.score
            )
        return self

    @classmethod
    def first(cls, topic: str, attempt: GradedAttempt) -> DailyReview:
        card = new_card(topic, attempt.at)
        return cls(review(card, attempt.score, attempt.at), card, attempt.day, attempt.score)

    def to_dict(self) -> dict[str, Any]:
        return {
            "card": self.card.to_dict(),
            "before_day": self.before_day.to_dict(),
            "day": self.day.isoformat(),
            "day_score": self.day_score,
        }

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> DailyReview:
        return cls(
            Card.from_dict(data["card"]),
            Card.from_dict(data["before_day"]),
            date.fromisoformat(data["day"]),
            data["day_score"],
        )


def next_review(previous: DailyReview | None, topic: str, attempt: GradedAttempt) -> DailyReview:
    """One step of the fold."""
    return previous.then(attempt) if previous else DailyReview.first(topic, attempt)
