"""The folded state (bounded, event by event) equals the full replay (the reference) for any history."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.vocabulary import GRADED_ACTIVITIES
from user_progress.domain.calendar import iso_week
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import LearnerFold, fold_event, fold_events
from user_progress.domain.learner import replay, week_xp

START = datetime(2026, 3, 20, tzinfo=UTC)  # spans Europe's and America's spring-forward
ZONES = [None, "UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "America/New_York"]
OFFSETS = [timedelta(0), timedelta(hours=-7), timedelta(hours=5, minutes=30), timedelta(hours=13)]


@st.composite
def events(draw: st.DrawFn, event_id: str, days: int = 40) -> LearningEvent:
    activity = draw(st.sampled_from(["lesson", "exercise", "quiz", "review"]))
    at = START + timedelta(minutes=draw(st.integers(0, days * 24 * 60)))
    written = at.astimezone(__import__("datetime").timezone(draw(st.sampled_from(OFFSETS))))
    return LearningEvent(
        event_id=event_id,
        learner_id="ada",
        activity=activity,
        topic=draw(st.sampled_from(["variables", "loops", "strings"])),
        completed_at=written,
        score=draw(st.integers(0, 100) if activity in GRADED_ACTIVITIES else st.one_of(st.none(), st.integers(0, 100))),
        hints_used=draw(st.one_of(st.none(), st.integers(0, 4))),
        duration_seconds=draw(st.one_of(st.none(), st.integers(0, 600))),
        timezone=draw(st.sampled_from(ZONES)),
    )


@st.composite
def histories(draw: st.DrawFn, max_size: int = 40, days: int = 40) -> list[LearningEvent]:
    size = draw(st.integers(1, max_size))
    return [draw(events(f"e{i:03d}", days)) for i in range(size)]


@settings(max_examples=150, deadline=None)
@given(history=histories())
def test_folding_events_in_time_order_gives_the_replayed_state(history: list[LearningEvent]) -> None:
    folded = fold_events(LearnerFold("ada"), history).fold

    assert folded.state() == replay("ada", history)


@settings(max_examples=80, deadline=None)
@given(history=histories(max_size=30, days=200))
def test_folded_state_survives_its_serialised_form_at_every_step(history: list[LearningEvent]) -> None:
    fold = LearnerFold("ada")
    for event in sorted(history, key=lambda event: event.sort_key):
        fold = LearnerFold.from_dict(fold_event(fold, event).fold.to_dict())

    assert fold.state() == replay("ada", history)


@settings(max_examples=80, deadline=None)
@given(history=histories(), split=st.integers(0, 40))
def test_refolding_from_a_checkpoint_gives_the_same_state_as_folding_from_the_start(
    history: list[LearningEvent], split: int
) -> None:
    ordered = sorted(history, key=lambda event: event.sort_key)
    checkpoint = fold_events(LearnerFold("ada"), ordered[:split]).fold

    assert fold_events(checkpoint, ordered[split:]).fold == fold_events(LearnerFold("ada"), ordered).fold


@settings(max_examples=80, deadline=None)
@given(history=histories())
def test_weekly_xp_of_the_recent_weeks_matches_the_events(history: list[LearningEvent]) -> None:
    fold = fold_events(LearnerFold("ada"), history).fold

    for week, xp in fold.week_xp.items():
        assert xp == week_xp(history, week)
    assert iso_week(max(event.completed_at for event in history)) in fold.week_xp
