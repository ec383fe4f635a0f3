"""Properties of a learner's state over any set of events: same input, same output, whatever the arrival order."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.vocabulary import GRADED_ACTIVITIES
from user_progress.domain.events import LearningEvent
from user_progress.domain.learner import LearnerRecord, LearnerState, record_event, replay
from user_progress.domain.streaks import MAX_FREEZES
from user_progress.domain.xp import event_xp

START = datetime(2026, 3, 20, tzinfo=UTC)  # spans Europe's spring-forward
ZONES = [None, "UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "America/New_York"]
BANDS = {"Beginner": range(0, 41), "Learning": range(41, 71), "Proficient": range(71, 91), "Mastered": range(91, 101)}


@st.composite
def _event_body(draw: st.DrawFn, event_id: str) -> LearningEvent:
    activity = draw(st.sampled_from(["lesson", "exercise", "quiz", "review"]))
    graded = activity in GRADED_ACTIVITIES
    return LearningEvent(
        event_id=event_id,
        learner_id="ada",
        activity=activity,
        topic=draw(st.sampled_from(["variables", "loops", "strings"])),
        # minute resolution over three weeks: same-minute ties and same-day repeats both occur
        completed_at=START + timedelta(minutes=draw(st.integers(0, 21 * 24 * 60))),
        score=draw(st.integers(0, 100)) if graded else None,
        hints_used=draw(st.one_of(st.none(), st.integers(0, 4))) if activity == "exercise" else None,
        timezone=draw(st.sampled_from(ZONES)),
    )


@st.composite
def _histories(draw: st.DrawFn, max_size: int = 10) -> list[LearningEvent]:
    size = draw(st.integers(1, max_size))
    return [draw(_event_body(f"e{i:02d}")) for i in range(size)]


def _deliver(events: list[LearningEvent]) -> tuple[LearnerRecord, LearnerState, list[str]]:
    record: LearnerRecord | None = None
    announced: list[str] = []
    for event in events:
        result = record_event(record, event)
        record = result.record
        announced += [achievement.id for achievement in result.newly_unlocked]
    assert record is not None
    return record, result.state, announced


@settings(max_examples=40, deadline=None)
@given(events=_histories(), data=st.data())
def test_any_arrival_order_gives_the_same_state_as_in_order_delivery(
    events: list[LearningEvent], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(events))

    _, state, _ = _deliver(arrival)

    assert state == replay("ada", sorted(events, key=lambda event: event.sort_key))


@settings(max_examples=60, deadline=None)
@given(events=_histories(), data=st.data())
def test_replay_ignores_the_order_it_is_given_events_in(events: list[LearningEvent], data: st.DataObject) -> None:
    assert replay("ada", data.draw(st.permutations(events))) == replay("ada", events)


@settings(max_examples=40, deadline=None)
@given(events=_histories(), data=st.data())
def test_recording_the_same_event_twice_is_a_no_op(events: list[LearningEvent], data: st.DataObject) -> None:
    record, state, _ = _deliver(events)
    again = data.draw(st.sampled_from(events))

    result = record_event(record, again)

    assert result.duplicate
    assert result.record == record
    assert result.state == state
    assert result.newly_unlocked == ()
    assert not result.streak_changed


@settings(max_examples=40, deadline=None)
@given(events=_histories(), data=st.data())
def test_each_achievement_is_announced_at_most_once_in_any_arrival_order(
    events: list[LearningEvent], data: st.DataObject
) -> None:
    arrival = data.draw(st.permutations(events + events))  # every event also redelivered

    record, state, announced = _deliver(arrival)

    assert len(announced) == len(set(announced))
    assert set(announced) == set(record.announced)
    assert set(state.unlocked) <= set(record.announced)


@settings(max_examples=60, deadline=None)
@given(events=_histories(max_size=14))
def test_streak_current_never_exceeds_longest(events: list[LearningEvent]) -> None:
    streak = replay("ada", events).streak

    assert 1 <= streak.current <= streak.longest
    assert 0 <= streak.freezes_available <= MAX_FREEZES


@settings(max_examples=60, deadline=None)
@given(events=_histories(max_size=14))
def test_topic_mastery_stays_within_0_and_100_in_its_published_band(events: list[LearningEvent]) -> None:
    state = replay("ada", events)

    assert set(state.topics) == {event.topic for event in events}
    for topic in state.topics.values():
        assert 0 <= topic.mastery.score <= 100
        assert topic.mastery.score in BANDS[topic.mastery.level]


@settings(max_examples=60, deadline=None)
@given(events=_histories(max_size=14))
def test_state_totals_match_the_events(events: list[LearningEvent]) -> None:
    state = replay("ada", events)

    assert state.xp == sum(event_xp(event) for event in events)
    assert sum(state.activity_counts.values()) == state.metrics["events"] == len(events)
    assert state.last_activity_at == max(event.completed_at for event in events)
    assert set(state.unlocked.values()) <= {event.completed_at for event in events}


@settings(max_examples=30, deadline=None)
@given(events=_histories())
def test_record_survives_its_serialised_form(events: list[LearningEvent]) -> None:
    record, _, _ = _deliver(events)

    assert LearnerRecord.from_dict(record.to_dict()) == record
