"""The progress consumer's fold of whole deliveries (``adapters/knowledge``) against the slow, obvious
reference: every event applied in turn by ``apply_progress``, as the learner's actor did.

The plain state is the in-memory stand-in of the sidecar (``learnflow_common.dapr.testing``), whose
guarded saves refuse a key changed since it was read, as daprd does; another consumer's fold is made
to land between a read and its save.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, datetime, timedelta

from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent.adapters.knowledge import fold_as_owner, fold_stored, knowledge_key
from course_agent.domain.knowledge import LearnerKnowledge, apply_progress
from learnflow_common.dapr.sidecar import Versioned
from learnflow_common.dapr.testing import MemoryPublisher
from learnflow_common.events import ProgressUpdatedV1

STORE = "statestore"
LEARNERS = ("ada", "bob", "cy")
START = datetime(2026, 11, 1, tzinfo=UTC)
#: (learner, seq): an event; the same pair again is a redelivery (same id and body).
EventRef = tuple[str, int]


def _event(learner: str, seq: int) -> tuple[str, ProgressUpdatedV1]:
    event = ProgressUpdatedV1(
        learner_id=learner,
        source_event_id=f"source-{seq}",
        activity="quiz",
        topic=("loops", "functions")[seq % 2],
        score=(seq * 37) % 101,
        completed_at=START + timedelta(minutes=(seq * 7) % 11),  # out of order in time too
        events_recorded=seq,
        xp_earned=10,
        xp_total=10 * seq,
        level=1,
        topic_mastery=(seq * 13) % 101,
        topic_level="Learning",
        topic_next_review_at=START + timedelta(days=seq),
        week="2026-W45",
        week_xp=10 * seq,
    )
    return f"{learner}-{seq}", event


class _Reference:
    """Each learner's knowledge with every event applied in turn, and whether each one changed it."""

    def __init__(self, kept_before: Mapping[str, LearnerKnowledge]) -> None:
        self.knowledge: dict[str, LearnerKnowledge | None] = {learner: kept_before.get(learner) for learner in LEARNERS}

    def apply(self, learner: str, seqs: list[int]) -> list[bool]:
        flags = []
        for seq in seqs:
            before = self.knowledge[learner]
            self.knowledge[learner] = apply_progress(before, *_event(learner, seq))
            flags.append(self.knowledge[learner] is not before)
        return flags


deliveries = st.lists(
    st.lists(st.tuples(st.sampled_from(LEARNERS), st.integers(1, 12)), min_size=1, max_size=6),
    min_size=1,
    max_size=8,
)


@settings(max_examples=200, deadline=None)
@given(
    deliveries=deliveries,
    interfering=st.lists(st.one_of(st.none(), st.tuples(st.sampled_from(LEARNERS), st.integers(1, 12))), max_size=8),
    kept_before=st.sets(st.sampled_from(LEARNERS)),
)
async def test_folding_each_delivery_together_gives_what_applying_every_event_in_turn_gives(
    deliveries: list[list[EventRef]], interfering: list[EventRef | None], kept_before: set[str]
) -> None:
    """Redeliveries, events out of order, learners new or kept in actor state by a release before,
    and another consumer's fold landing between a delivery's read and its save."""
    sidecar = MemoryPublisher()
    previous = {learner: apply_progress(None, *_event(learner, 1)) for learner in kept_before}
    reference = _Reference(previous)
    real_save = sidecar.save_if_unchanged
    injected: list[EventRef | None] = list(interfering)

    interfered: set[str] = set()  # learners another consumer folded during this delivery

    async def save_after_another_consumer(store: str, writes: dict[str, Versioned]) -> None:
        other = injected.pop(0) if injected else None
        if other is not None:
            injected.append(None)  # once per save at most: the retry saves alone
            learner, seq = other
            if knowledge_key(learner) in sidecar.state:  # that consumer folds only learners with a key
                await fold_stored(sidecar, store, {learner: [_event(learner, seq)]})
                reference.apply(learner, [seq])
                interfered.add(learner)
        await real_save(store, writes)

    sidecar.save_if_unchanged = save_after_another_consumer  # type: ignore[method-assign]
    for delivery in deliveries:
        batches: dict[str, list[int]] = {}
        for learner, seq in delivery:
            batches.setdefault(learner, []).append(seq)
        events = {learner: [_event(learner, seq) for seq in seqs] for learner, seqs in batches.items()}

        interfered.clear()
        applied, absent = await fold_stored(sidecar, STORE, events)
        for learner in absent:

            async def kept(learner: str = learner) -> LearnerKnowledge | None:
                return previous.get(learner)

            applied[learner] = await fold_as_owner(sidecar, STORE, learner, events[learner], kept)
        expected = {learner: reference.apply(learner, seqs) for learner, seqs in batches.items()}

        assert applied.keys() == expected.keys()
        for learner, flags in expected.items():
            if learner in interfered:  # an event both applied alike may count as applied by both
                assert all(ours or not theirs for ours, theirs in zip(applied[learner], flags, strict=True))
            else:
                assert applied[learner] == flags
    for learner in LEARNERS:
        stored = sidecar.state.get(knowledge_key(learner))
        wanted = reference.knowledge[learner]
        if learner not in {learner for delivery in deliveries for learner, _ in delivery}:
            assert stored is None
        else:
            assert wanted is not None
            assert stored == wanted.to_dict()
