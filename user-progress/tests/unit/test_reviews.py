"""Spaced repetition (FSRS): one card per topic, graded events review it, the schedule is deterministic."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta, timezone

import pytest
from fsrs import Card, Rating
from hypothesis import given
from hypothesis import strategies as st

from learnflow_common.vocabulary import Activity
from user_progress.domain import reviews
from user_progress.domain.events import LearningEvent
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


def test_lesson_gives_the_topic_no_card_so_nothing_is_due() -> None:
    state = replay("ada", [_event("a", T0, "lesson", None)])

    assert state.topics["loops"].card is None


def test_scored_lesson_is_not_a_review_of_the_topic_card() -> None:
    state = replay("ada", [_event("a", T0, "lesson", 100)])

    assert state.topics["loops"].card is None


def test_learner_topic_card_is_the_review_of_each_graded_event_in_time_order() -> None:
    lesson = _event("a", T0, "lesson", None)
    exercise = _event("b", T0 + timedelta(hours=1), "exercise", 60)
    quiz = _event("c", T0 + timedelta(days=2), "quiz", 95)
    expected = reviews.review(
        reviews.review(reviews.new_card("loops", exercise.completed_at), 60, exercise.completed_at),
        95,
        quiz.completed_at,
    )

    state = replay("ada", [quiz, lesson, exercise])

    assert state.topics["loops"].card == expected


# ------------------------------------------------------------------------ one review per local day
def _interval_days(state_card: Card, last: datetime) -> int:
    return (state_card.due - last).days


@pytest.mark.parametrize("attempts", [1, 5, 10, 20])
def test_one_long_session_moves_the_schedule_once(attempts: int) -> None:
    # the review: 1 exercise scored 95 gave 8 days, 5 gave 43, 10 gave 194, 20 gave 1,222
    events = [_event(f"e{i}", T0 + timedelta(minutes=i), "exercise", 95) for i in range(attempts)]

    card = replay("ada", events).topics["loops"].card

    assert card is not None
    assert card == reviews.review(reviews.new_card("loops", T0), 95, T0)
    assert _interval_days(card, T0) <= 8


def test_the_days_weakest_result_rates_its_review() -> None:
    good_then_bad = [_event("a", T0, "exercise", 95), _event("b", T0 + timedelta(hours=2), "exercise", 30)]

    card = replay("ada", good_then_bad).topics["loops"].card

    assert card == reviews.review(reviews.new_card("loops", T0), 30, T0 + timedelta(hours=2))


def test_attempts_on_two_local_days_are_two_reviews() -> None:
    events = [_event("a", T0, "exercise", 80), _event("b", T0 + timedelta(days=1), "exercise", 80)]

    card = replay("ada", events).topics["loops"].card

    first = reviews.review(reviews.new_card("loops", T0), 80, T0)
    assert card == reviews.review(first, 80, T0 + timedelta(days=1))


_attempts = st.lists(st.tuples(st.integers(0, 4), st.integers(0, 100)), min_size=1, max_size=12)


@given(_attempts)
def test_the_folded_daily_review_equals_the_schedule_from_all_attempts(raw: list[tuple[int, int]]) -> None:
    attempts = [
        reviews.GradedAttempt((T0 + timedelta(days=day)).date(), score, T0 + timedelta(days=day, minutes=i))
        for i, (day, score) in enumerate(sorted(raw, key=lambda pair: pair[0]))
    ]
    folded: reviews.DailyReview | None = None
    for attempt in attempts:
        folded = reviews.next_review(folded, "loops", attempt)

    assert folded is not None
    assert folded.card == reviews.schedule("loops", attempts)
    assert reviews.DailyReview.from_dict(folded.to_dict()) == folded
