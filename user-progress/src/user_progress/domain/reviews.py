"""Spaced repetition per topic with FSRS (the ``fsrs`` package).

A topic gets a card at its first event; every graded event (exercise, quiz, review) on the topic
is a review of that card, rated from its score. Fuzzing is off and learning steps are empty (topics
are reviewed in days, not minutes), so the same history always gives the same schedule.
"""

from __future__ import annotations

import zlib
from datetime import UTC, datetime

from fsrs import Card, Rating, Scheduler

SCHEDULER = Scheduler(enable_fuzzing=False, learning_steps=(), relearning_steps=())


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
