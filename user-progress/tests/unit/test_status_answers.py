"""GET /status answers kept per snapshot and moment are the answers computed afresh (the reference).

``status_moment`` claims to be all that a status reads of the clock; ``StatusAnswers`` sends an answer
again only for the same snapshot (its ETag) at the same moment. Both are held to ``status_body``,
which computes the status from the snapshot every time.
"""

from __future__ import annotations

import json
from dataclasses import replace
from datetime import UTC, datetime, time, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.dapr.actor_state import plain_key_prefix
from learnflow_common.dapr.sidecar import StateEntry
from learnflow_common.dapr.testing import MemoryPublisher
from learnflow_common.vocabulary import GRADED_ACTIVITIES
from user_progress import ledger
from user_progress.adapters.learner_keys import LEARNER_KEYS, learner_status_body
from user_progress.domain.calendar import zone
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import LearnerFold, fold_events
from user_progress.domain.status import review_times, status_moment
from user_progress.status_answers import StatusAnswers, status_body

START = datetime(2026, 3, 25, tzinfo=UTC)  # Europe's spring-forward is within the days drawn
ZONES = [None, "UTC", "Pacific/Kiritimati", "Pacific/Pago_Pago", "Europe/Berlin", "America/New_York"]
TINY = timedelta(microseconds=1)


@st.composite
def events(draw: st.DrawFn, learner_id: str, event_id: str, days: int = 12) -> LearningEvent:
    activity = draw(st.sampled_from(["lesson", "exercise", "quiz", "review"]))
    return LearningEvent(
        event_id=event_id,
        learner_id=learner_id,
        activity=activity,
        topic=draw(st.sampled_from(["variables", "loops", "strings"])),
        completed_at=START + timedelta(minutes=draw(st.integers(0, days * 24 * 60))),
        score=draw(st.integers(0, 100) if activity in GRADED_ACTIVITIES else st.none()),
        timezone=draw(st.sampled_from(ZONES)),
    )


def snapshot_of(learner_id: str, history: list[LearningEvent], lessons: int = 0) -> ledger.Snapshot:
    fold = fold_events(LearnerFold(learner_id), history).fold
    return ledger.Snapshot(fold, ledger.horizon_for(history[-1].completed_at), lessons_assigned=lessons)


def changes(snapshot: ledger.Snapshot) -> tuple[list[datetime], list[datetime]]:
    """Where a status may change: each review's due time, and each local midnight of the learner's
    zone from the day before their last active day to five days after it (where a streak breaks)."""
    state = snapshot.fold.state()
    tz = zone(state.timezone)
    assert state.last_activity_at is not None
    last_day = state.last_activity_at.astimezone(tz).date()
    midnights = [
        datetime.combine(last_day + timedelta(days=day), time(0), tzinfo=tz).astimezone(UTC) for day in range(-1, 6)
    ]
    return list(review_times(state)), midnights


def instants_near_changes(snapshot: ledger.Snapshot) -> list[datetime]:
    reviews, midnights = changes(snapshot)
    return [moment + shift for moment in [*reviews, *midnights] for shift in (-TINY, timedelta(0), TINY)]


SHIFTS = [
    -timedelta(hours=1),
    -timedelta(minutes=1),
    -TINY,
    timedelta(0),
    TINY,
    timedelta(minutes=1),
    timedelta(hours=1),
]


@st.composite
def instants(draw: st.DrawFn, snapshot: ledger.Snapshot) -> datetime:
    """An instant around a review's due time or a local midnight (as likely), or anywhere."""
    reviews, midnights = changes(snapshot)
    around = draw(st.sampled_from([reviews, midnights] if reviews else [midnights]))
    near = draw(st.sampled_from(around)) + draw(st.sampled_from(SHIFTS))
    anywhere = START + timedelta(seconds=draw(st.integers(0, 20 * 86400)))
    return draw(st.sampled_from([near, near, anywhere]))


@settings(max_examples=300, deadline=None)
@given(data=st.data(), history=st.lists(events("ada", "e"), min_size=1, max_size=25))
def test_two_instants_of_the_same_moment_give_the_same_status(
    data: st.DataObject, history: list[LearningEvent]
) -> None:
    history = [replace(event, event_id=f"e{index}") for index, event in enumerate(history)]
    snapshot = snapshot_of("ada", history)
    state = snapshot.fold.state()
    first = data.draw(instants(snapshot))
    second = data.draw(
        st.one_of(
            st.sampled_from(
                [first + shift for shift in (TINY, timedelta(minutes=1), timedelta(hours=1), timedelta(hours=6))]
            ),
            instants(snapshot),
        )
    )

    same_moment = status_moment(state.timezone, review_times(state), first) == status_moment(
        state.timezone, review_times(state), second
    )

    if same_moment:
        assert status_body(snapshot, first) == status_body(snapshot, second)


@settings(max_examples=120, deadline=None)
@given(data=st.data(), capacity=st.integers(0, 2))
async def test_kept_answers_are_the_answers_computed_afresh(data: st.DataObject, capacity: int) -> None:
    """Reads of two learners through writes, the clock moving on, and answers evicted: every body is
    the status of the snapshot as stored now, computed afresh."""
    sidecar = MemoryPublisher()
    answers = StatusAnswers(capacity)
    histories: dict[str, list[LearningEvent]] = {"ada": [], "bo": []}
    now = START
    for step in range(data.draw(st.integers(1, 30))):
        learner = data.draw(st.sampled_from(sorted(histories)))
        key = plain_key_prefix(LEARNER_KEYS, learner) + ledger.SNAPSHOT_KEY
        action = data.draw(st.sampled_from(["write", "tick", "read", "read"]))
        if action == "write":
            event = data.draw(events(learner, f"{learner}-{step}"))
            histories[learner].append(event)
            lessons = data.draw(st.integers(0, 3))
            await sidecar.transact_state(
                "statestore", {key: snapshot_of(learner, histories[learner], lessons).to_dict()}
            )
        elif action == "tick":
            stored = sidecar.state.get(key)
            nearby = instants_near_changes(ledger.Snapshot.from_dict(stored)) if stored else []
            later = [instant for instant in nearby if instant > now]
            now = data.draw(st.sampled_from(later) if later else st.just(now + timedelta(hours=1)))
        elif (stored := sidecar.state.get(key)) is not None:  # (a learner with none is read through the actor)
            body = await learner_status_body(sidecar, "statestore", answers, learner, now)  # type: ignore[arg-type]
            assert body == status_body(ledger.Snapshot.from_dict(stored), now)
        assert len(answers._answers) <= capacity


class _EntriesRead(MemoryPublisher):
    """The sidecar of the tests, keeping every entry it returned."""

    def __init__(self) -> None:
        super().__init__()
        self.entries: list[StateEntry] = []

    async def get_state(self, store: str, key: str) -> StateEntry | None:
        entry = await super().get_state(store, key)
        if entry is not None:
            self.entries.append(entry)
        return entry


async def test_an_answer_is_sent_again_only_for_the_snapshot_it_was_computed_from() -> None:
    """The same snapshot read twice is answered from what was kept (the same object, the snapshot's
    JSON not even parsed: PROFILE.md, Phase 17), and a snapshot of another ETag is computed again."""
    sidecar = _EntriesRead()
    answers = StatusAnswers(8)
    key = plain_key_prefix(LEARNER_KEYS, "ada") + ledger.SNAPSHOT_KEY
    first = LearningEvent(event_id="e1", learner_id="ada", activity="quiz", topic="loops", completed_at=START, score=90)
    await sidecar.transact_state("statestore", {key: snapshot_of("ada", [first]).to_dict()})
    now = START + timedelta(minutes=5)

    body = await learner_status_body(sidecar, "statestore", answers, "ada", now)  # type: ignore[arg-type]
    again = await learner_status_body(sidecar, "statestore", answers, "ada", now + timedelta(minutes=1))  # type: ignore[arg-type]
    second = replace(first, event_id="e2", completed_at=START + timedelta(minutes=2))
    await sidecar.transact_state("statestore", {key: snapshot_of("ada", [first, second]).to_dict()})
    after_write = await learner_status_body(sidecar, "statestore", answers, "ada", now + timedelta(minutes=1))  # type: ignore[arg-type]

    assert body is not None
    assert again is body
    assert after_write is not None
    assert json.loads(after_write)["events_recorded"] == 2
    assert ["value" in vars(entry) for entry in sidecar.entries] == [True, False, True]
