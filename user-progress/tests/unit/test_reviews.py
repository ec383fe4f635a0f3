"""Spaced repetition (FSRS): one card per topic, graded events review it, the schedule is deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fsrs import Card, Rating
from hypothesis import given
from hypothesis import strategies as st

from user_progress.domain import reviews
from user_progress.domain.events import Activity, LearningEvent
from user_progress.domain.learner import replay

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)


def _schedule(scores: list[int], first_review: datetime = T0) -> Card:
    """Reviews a fresh card with ``scores``, each on the day it falls due."""
    card = reviews.new_card("loops", first_review)
    at = first_review
    for score in scores:
        card = reviews.review(card, score, at)
        at = card.due
    return card


def _event(event_id: str, at: datetime, activity: Activity, score: int | None) -> LearningEvent:
    return LearningEvent(
        event_id=event_id, learner_id="ada", activity=activity, topic="loops", completed_at=at, score=score
    )


@pytest.mark.parametrize(
    ("score", "rating"),
    [
        (100, Rating.Easy),
        (90, Rating.Easy),
        (89, Rating.Good),
        (70, Rating.Good),
        (69, Rating.Hard),
        (50, Rating.Hard),
        (49, Rating.Again),
        (0, Rating.Again),
    ],
)
def test_score_maps_to_an_fsrs_rating(score: int, rating: Rating) -> None:
    assert reviews.rating_for(score) == rating


def test_new_card_is_due_when_the_topic_is_introduced() -> None:
    introduced = datetime(2026, 3, 2, 10, 0, tzinfo=timezone(timedelta(hours=1)))

    card = reviews.new_card("loops", introduced)

    assert card.due == introduced
    assert card.due.utcoffset() == timedelta(0)


def test_card_identity_is_stable_per_topic() -> None:
    assert reviews.new_card("loops", T0).card_id == reviews.new_card("loops", T0 + timedelta(days=9)).card_id
    assert reviews.new_card("loops", T0).card_id != reviews.new_card("strings", T0).card_id


def test_same_history_gives_the_same_schedule() -> None:
    history = [80, 95, 40, 70, 100]

    assert _schedule(history) == _schedule(list(history))


def test_low_score_gives_an_earlier_next_review_than_a_high_score() -> None:
    low = _schedule([80, 80, 30])
    high = _schedule([80, 80, 95])

    assert low.due < high.due


@pytest.mark.parametrize(("lower", "higher"), [(0, 50), (50, 70), (70, 90), (30, 95)])
def test_a_better_score_never_brings_the_next_review_earlier(lower: int, higher: int) -> None:
    assert _schedule([80, lower]).due <= _schedule([80, higher]).due


def test_failing_a_mature_topic_brings_its_review_forward() -> None:
    mature = _schedule([90, 90, 90])

    lapsed = reviews.review(mature, 20, mature.due)
    kept = reviews.review(mature, 90, mature.due)

    assert lapsed.due - mature.due < kept.due - mature.due


@given(score=st.integers(0, 100))
def test_topics_are_reviewed_in_days_not_minutes(score: int) -> None:
    card = reviews.review(reviews.new_card("loops", T0), score, T0)

    assert card.due - T0 >= timedelta(days=1)


def test_schedule_does_not_depend_on_the_offset_the_time_was_written_with() -> None:
    in_berlin = T0.astimezone(timezone(timedelta(hours=1)))

    assert _schedule([75, 85], in_berlin) == _schedule([75, 85], T0)


def test_review_does_not_change_the_card_it_was_given() -> None:
    card = reviews.new_card("loops", T0)
    before = Card.from_dict(card.to_dict())

    reviews.review(card, 90, T0)

    assert card == before


def test_lesson_introduces_the_topic_card_without_reviewing_it() -> None:
    state = replay("ada", [_event("a", T0, "lesson", None)])

    assert state.topics["loops"].card == reviews.new_card("loops", T0)


def test_scored_lesson_is_not_a_review_of_the_topic_card() -> None:
    state = replay("ada", [_event("a", T0, "lesson", 100)])

    assert state.topics["loops"].card == reviews.new_card("loops", T0)


def test_learner_topic_card_is_the_review_of_each_graded_event_in_time_order() -> None:
    lesson = _event("a", T0, "lesson", None)
    exercise = _event("b", T0 + timedelta(hours=1), "exercise", 60)
    quiz = _event("c", T0 + timedelta(days=2), "quiz", 95)
    expected = reviews.review(
        reviews.review(reviews.new_card("loops", T0), 60, exercise.completed_at), 95, quiz.completed_at
    )

    state = replay("ada", [quiz, lesson, exercise])

    assert state.topics["loops"].card == expected
