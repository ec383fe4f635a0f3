"""Learner status at a given ``now``: streak on the learner's local today, reviews due, recommendation."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.vocabulary import PROFICIENT, Activity, mastery_level
from user_progress.domain.achievements import CATALOG
from user_progress.domain.calendar import iso_week, today_in, week_of
from user_progress.domain.events import LearningEvent
from user_progress.domain.learner import LearnerRecord, LearnerState, assign_lesson, local_week_xp, record_event, replay
from user_progress.domain.reports import statistics
from user_progress.domain.status import achievements_view, learner_status

T0 = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)  # a Monday


def _event(
    event_id: str,
    at: datetime,
    activity: Activity = "lesson",
    score: int | None = None,
    topic: str = "loops",
    timezone: str | None = None,
) -> LearningEvent:
    return LearningEvent(
        event_id=event_id,
        learner_id="ada",
        activity=activity,
        topic=topic,
        completed_at=at,
        score=score,
        timezone=timezone,
    )


def _record(events: list[LearningEvent]) -> LearnerRecord:
    record: LearnerRecord | None = None
    for event in events:
        record = record_event(record, event).record
    assert record is not None
    return record


def _state(record: LearnerRecord) -> LearnerState:
    return replay(record.learner_id, record.events.values())


def _status_of(record: LearnerRecord, state: LearnerState, now: datetime) -> dict[str, Any]:
    """The status of a learner stored the reference way: every event, announced achievements, lessons."""
    weekly_xp = local_week_xp(record.events.values(), week_of(today_in(state.timezone, now)))
    return learner_status(state, record.announced, len(record.lessons_assigned), weekly_xp, now).model_dump()


def _status(events: list[LearningEvent], now: datetime) -> dict[str, Any]:
    record = _record(events)
    return _status_of(record, _state(record), now)


def _mastered(topic: str, start: datetime) -> list[LearningEvent]:
    """Three perfect exercises and a perfect quiz: Mastered, next review days away."""
    return [
        *[_event(f"{topic}-ex{i}", start + timedelta(minutes=i), "exercise", 100, topic) for i in range(3)],
        _event(f"{topic}-quiz", start + timedelta(minutes=3), "quiz", 100, topic),
    ]


# ------------------------------------------------------------------------------------------ streak
# 12:00 local on June 1, 2 and 3 in Kiritimati (UTC+14), and 20:00 local on June 1, 2 and 3 in Pago Pago (UTC-11).
KIRITIMATI_DAYS = [
    _event(f"k{i}", datetime(2026, 5, 31, 22, 0, tzinfo=UTC) + timedelta(days=i), timezone="Pacific/Kiritimati")
    for i in range(3)
]
PAGO_PAGO_DAYS = [
    _event(f"p{i}", datetime(2026, 6, 2, 7, 0, tzinfo=UTC) + timedelta(days=i), timezone="Pacific/Pago_Pago")
    for i in range(3)
]


def test_status_streak_is_not_broken_when_the_learners_today_is_not_yet_active() -> None:
    # Learner was active on June 1-3 in Kiritimati; now is 02:00 on June 4 there (still June 3 in UTC).
    status = _status(KIRITIMATI_DAYS, datetime(2026, 6, 3, 12, 0, tzinfo=UTC))

    assert status["streak"]["current"] == 3


def test_status_streak_breaks_once_a_local_day_was_fully_missed() -> None:
    # 02:00 on June 5 in Kiritimati: June 4 was missed and no freeze was earned.
    status = _status(KIRITIMATI_DAYS, datetime(2026, 6, 4, 12, 0, tzinfo=UTC))

    assert status["streak"]["current"] == 0
    assert status["streak"]["longest"] == 3


def test_status_streak_uses_the_learners_today_not_utcs_today() -> None:
    # Active June 1-3 in Pago Pago; now is 23:00 on June 4 there but already June 5 in UTC.
    status = _status(PAGO_PAGO_DAYS, datetime(2026, 6, 5, 10, 0, tzinfo=UTC))

    assert status["timezone"] == "Pacific/Pago_Pago"
    assert status["streak"]["current"] == 3


def test_status_streak_spends_a_freeze_on_a_missed_day() -> None:
    week = [_event(f"d{i}", T0 + timedelta(days=i)) for i in range(7)]

    status = _status(week, T0 + timedelta(days=8))

    assert status["streak"] == {
        "current": 7,
        "longest": 7,
        "freezes_available": 0,
        "last_active_date": (T0 + timedelta(days=6)).date(),
    }


# ------------------------------------------------------------------------------------ reviews due
def _mixed_history() -> list[LearningEvent]:
    """loops mastered in January (review due mid-February); strings and functions weak on March 2."""
    return [
        *_mastered("loops", datetime(2026, 1, 5, 9, 0, tzinfo=UTC)),
        _event("s1", T0, "quiz", 20, "strings"),
        _event("f1", T0 + timedelta(minutes=30), "quiz", 60, "functions"),
    ]


def test_reviews_due_lists_the_topics_whose_review_is_due_by_now_oldest_first() -> None:
    events = _mixed_history()
    record = _record(events)
    state = _state(record)
    strings_due = state.topics["strings"].card.due

    status = _status_of(record, state, strings_due)

    assert [item["topic"] for item in status["reviews_due"]] == ["loops", "strings"]
    assert all(item["due"] <= strings_due for item in status["reviews_due"])
    assert state.topics["functions"].card.due > strings_due


def test_topic_not_yet_due_is_not_listed_for_review() -> None:
    status = _status(_mixed_history(), T0 + timedelta(hours=1))

    assert [item["topic"] for item in status["reviews_due"]] == ["loops"]


def test_recommended_topic_prefers_a_due_review_over_a_weaker_topic() -> None:
    status = _status(_mixed_history(), T0 + timedelta(hours=1))

    assert status["recommended_topic"] == "loops"
    assert status["recommendation_reason"] == "review due (spaced repetition)"


def test_recommended_topic_is_the_weakest_non_proficient_one_when_no_review_is_due() -> None:
    events = [
        *_mastered("loops", T0),
        _event("f1", T0, "quiz", 60, "functions"),
        _event("s1", T0, "quiz", 20, "strings"),
    ]

    status = _status(events, T0 + timedelta(hours=1))

    assert status["reviews_due"] == []
    assert status["recommended_topic"] == "strings"
    assert status["recommendation_reason"] == "mastery 7 is below Proficient"


def test_equally_weak_topics_are_recommended_alphabetically() -> None:
    events = [_event("l1", T0, "quiz", 20, "lists"), _event("d1", T0, "quiz", 20, "dicts")]

    assert _status(events, T0 + timedelta(hours=1))["recommended_topic"] == "dicts"


def test_nothing_is_recommended_when_every_topic_is_proficient_and_none_is_due() -> None:
    status = _status(_mastered("loops", T0), T0 + timedelta(hours=1))

    assert status["topics"][0]["level"] == "Mastered"
    assert (status["recommended_topic"], status["recommendation_reason"]) == (None, None)


@pytest.mark.parametrize(
    ("exercise_score", "quiz_score", "mastery", "recommended"),
    [(65, 100, 70, "loops"), (66, 99, 71, None)],
)
def test_only_topics_below_proficient_are_recommended(
    exercise_score: int, quiz_score: int, mastery: int, recommended: str | None
) -> None:
    events = [
        *[_event(f"ex{i}", T0 + timedelta(minutes=i), "exercise", exercise_score) for i in range(3)],
        _event("quiz", T0 + timedelta(minutes=3), "quiz", quiz_score),
    ]

    status = _status(events, T0 + timedelta(hours=1))

    assert status["topics"][0]["mastery"] == mastery
    assert status["recommended_topic"] == recommended


def test_proficient_threshold_is_the_start_of_the_proficient_band() -> None:
    assert (mastery_level(PROFICIENT - 1), mastery_level(PROFICIENT)) == ("Learning", "Proficient")


def test_topics_are_listed_by_name_with_their_next_review() -> None:
    events = _mixed_history()
    record = _record(events)
    state = _state(record)

    status = _status_of(record, state, T0)

    assert [topic["topic"] for topic in status["topics"]] == ["functions", "loops", "strings"]
    assert status["topics"][1]["next_review_at"] == state.topics["loops"].card.due


# ------------------------------------------------------------------------------- figures and XP
def test_status_reports_xp_level_and_counts() -> None:
    events = [_event(f"q{i}", T0 + timedelta(minutes=i), "quiz", 100) for i in range(5)]  # 5 x 20 XP

    status = _status(events, T0 + timedelta(hours=1))

    assert (status["xp"], status["level"], status["xp_into_level"], status["xp_for_next_level"]) == (100, 2, 0, 200)
    assert status["events_recorded"] == 5
    assert status["activity_counts"] == {"lesson": 0, "exercise": 0, "quiz": 5, "review": 0}
    assert status["last_activity_at"] == T0 + timedelta(minutes=4)


@pytest.mark.parametrize(
    ("moment", "week"),
    [
        (datetime(2026, 11, 22, 23, 59, tzinfo=UTC), "2026-W47"),
        (datetime(2026, 11, 23, 0, 0, tzinfo=UTC), "2026-W48"),
        (datetime(2027, 1, 1, 12, 0, tzinfo=UTC), "2026-W53"),
        (datetime.fromisoformat("2026-11-23T00:30:00+02:00"), "2026-W47"),
    ],
)
def test_leaderboard_week_is_the_utc_iso_week(moment: datetime, week: str) -> None:
    assert iso_week(moment) == week


def test_weekly_xp_counts_only_events_in_the_learners_current_iso_week() -> None:
    sunday = _event("sun", datetime(2026, 11, 22, 23, 30, tzinfo=UTC), "quiz", 100)
    monday = _event("mon", datetime(2026, 11, 23, 0, 30, tzinfo=UTC), "quiz", 50)

    status = _status([sunday, monday], datetime(2026, 11, 25, tzinfo=UTC))

    assert status["weekly_xp"] == 15


def test_status_counts_lessons_assigned_once_per_lesson_id() -> None:
    events = [_event("a", T0)]
    record = _record(events)
    record = assign_lesson(record, "ada", "lesson-1", "loops", T0)
    record = assign_lesson(record, "ada", "lesson-1", "loops", T0 + timedelta(hours=1))
    record = assign_lesson(record, "ada", "lesson-2", "strings", T0)

    status = _status_of(record, _state(record), T0)

    assert status["lessons_assigned"] == 2
    assert record.lessons_assigned["lesson-1"]["assigned_at"] == T0.isoformat()


def test_achievements_view_shows_unlock_times_and_progress_towards_locked_ones() -> None:
    lessons = [_event(f"l{i}", T0 + timedelta(minutes=i)) for i in range(4)]
    record = _record(lessons)

    view = achievements_view(_state(record), record.announced).model_dump()

    unlocked = {item["id"]: item for item in view["unlocked"]}
    locked = {item["id"]: item for item in view["locked"]}
    assert unlocked["first-steps"]["unlocked_at"] == T0
    assert (locked["lesson-learner"]["progress"], locked["lesson-learner"]["threshold"]) == (4, 10)
    assert locked["lesson-learner"]["percent"] == 40
    assert unlocked.keys().isdisjoint(locked)
    assert unlocked.keys() | locked.keys() == {achievement.id for achievement in CATALOG}


def test_new_learner_status_has_no_streak_no_reviews_and_no_recommendation() -> None:
    record = LearnerRecord(learner_id="ada")

    status = _status_of(record, _state(record), T0)

    assert (status["xp"], status["level"], status["events_recorded"]) == (0, 1, 0)
    assert status["streak"]["current"] == 0
    assert (status["reviews_due"], status["recommended_topic"], status["timezone"]) == ([], None, "UTC")


@settings(max_examples=40, deadline=None)
@given(
    scores=st.lists(
        st.tuples(st.sampled_from(["loops", "strings", "lists"]), st.integers(0, 100)), min_size=1, max_size=9
    ),
    hours_later=st.integers(0, 24 * 60),
)
def test_reviews_due_are_exactly_the_topics_due_by_now(scores: list[tuple[str, int]], hours_later: int) -> None:
    events = [_event(f"q{i}", T0 + timedelta(hours=i), "quiz", score, topic) for i, (topic, score) in enumerate(scores)]
    record = _record(events)
    state = _state(record)
    now = T0 + timedelta(hours=hours_later)

    status = _status_of(record, state, now)

    due = [item["topic"] for item in status["reviews_due"]]
    assert set(due) == {name for name, topic in state.topics.items() if topic.card.due <= now}
    assert [item["due"] for item in status["reviews_due"]] == sorted(item["due"] for item in status["reviews_due"])
    if due:
        assert status["recommended_topic"] == due[0]


def test_an_announced_achievement_stays_unlocked_when_a_late_event_lowers_its_metric() -> None:
    perfect = [_event(f"x{i}", T0 + timedelta(hours=i), activity="exercise", score=100) for i in range(3)]
    perfect.append(_event("q", T0 + timedelta(hours=3), activity="quiz", score=100))
    record = None
    for event in perfect:
        record = record_event(record, event).record
    assert record is not None
    assert "first-mastery" in record.announced
    late = record_event(record, _event("late", T0 - timedelta(hours=1), activity="quiz", score=0)).record

    view = achievements_view(_state(late), late.announced).model_dump()

    assert "first-mastery" in {item["id"] for item in view["unlocked"]}
    assert "first-mastery" not in {item["id"] for item in view["locked"]}


# ------------------------------------------------------------------------------ issue 9 rules
def test_weekly_xp_and_week_statistics_agree_for_a_utc_plus_14_learner() -> None:
    # 11:00 UTC on Sunday 2026-11-22 is 01:00 on Monday 2026-11-23 in Kiritimati: local week W48
    event = _event("k", datetime(2026, 11, 22, 11, 0, tzinfo=UTC), "quiz", 100, timezone="Pacific/Kiritimati")
    now = datetime(2026, 11, 22, 12, 0, tzinfo=UTC)
    record = _record([event])
    state = _state(record)

    status = _status_of(record, state, now)
    week = statistics(state, [event], "week", now)

    assert status["weekly_xp"] == week.xp_earned == 20


def test_mastered_topic_is_no_longer_mastered_400_days_after_the_streak_broke() -> None:
    record = _record(_mastered("loops", T0))
    state = _state(record)

    fresh = _status_of(record, state, T0 + timedelta(hours=1))["topics"][0]
    stale = _status_of(record, state, T0 + timedelta(days=400))

    assert fresh["components"]["consistency"] == pytest.approx(1 / 7, abs=1e-4)
    assert stale["streak"]["current"] == 0
    assert stale["topics"][0]["components"]["consistency"] == 0.0
    assert stale["topics"][0]["mastery"] < fresh["mastery"]


def test_status_names_missing_evidence_and_the_ceiling_it_implies() -> None:
    events = [_event("q", T0, "quiz", 100, "loops"), _event("e", T0, "exercise", 100, "strings")]

    topics = {topic["topic"]: topic for topic in _status(events, T0)["topics"]}

    assert (topics["loops"]["missing_evidence"], topics["loops"]["mastery_ceiling"]) == (["exercise", "quality"], 40)
    assert (topics["strings"]["missing_evidence"], topics["strings"]["mastery_ceiling"]) == (["quiz"], 70)


def test_topic_with_only_a_lesson_is_not_due_and_has_no_review_time() -> None:
    status = _status([_event("l", T0, "lesson")], T0 + timedelta(minutes=1))

    assert status["reviews_due"] == []
    assert status["topics"][0]["next_review_at"] is None
    assert status["recommendation_reason"] != "review due (spaced repetition)"


def test_scored_lesson_earns_no_score_xp_and_is_not_averaged() -> None:
    events = [_event("l", T0, "lesson", 100), _event("e", T0 + timedelta(minutes=1), "exercise", 20)]

    status = _status(events, T0 + timedelta(minutes=2))

    assert status["xp"] == 10 + (10 + 2)
    assert status["topics"][0]["average_score"] == 20
