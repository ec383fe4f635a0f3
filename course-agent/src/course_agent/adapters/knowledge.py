"""The agent's knowledge of each learner, on a plain key of the state store, folded from progress events.

Why not in the learner's actor state, where a release before kept it: folding a delivery through the
actors cost an actor call (the app to its sidecar and back into the app) and a state transaction for
every learner of the delivery, about a quarter of the CPU an update costs the whole system at 32
clients (benchmarks/results/PROFILE.md, Phase 26). The consumer now reads the knowledge of all the
learners of a delivery in one exchange and saves what it changed in one more (:func:`fold_stored`),
each key guarded by the ETag it was read with: two consumers of one learner (a partition moving
between replicas) never overwrite each other; the one that finds a key changed reads again and folds
again, and the fold is idempotent per event (``domain/knowledge``).

A learner whose knowledge has no key yet is folded by their ``LearnerPlanActor`` (``ApplyProgress``,
:func:`fold_as_owner`): creating a key cannot be guarded by an ETag (daprd answers a first write on
an existing key as a store error, which its resiliency policy retries for seconds and the circuit
breaker counts), so the actor, one per learner, is the key's only creator. It starts from what a
release before kept in its actor state, if anything.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping, Sequence

from course_agent.domain.knowledge import LearnerKnowledge, apply_progress_batch
from learnflow_common.dapr.actor_state import plain_key_prefix
from learnflow_common.dapr.errors import SidecarUnavailable, StateConflict
from learnflow_common.dapr.sidecar import DaprSidecar, Versioned
from learnflow_common.events import ProgressUpdatedV1

#: A learner's knowledge is at ``plan~<learner id>~knowledge`` (the app's key prefix before it).
KNOWLEDGE_KEYS = "plan"
#: How often a fold reads again after finding a key changed, before the delivery is retried later.
CONFLICT_ATTEMPTS = 5
#: A learner's events as folded: (event id, event), oldest first.
Events = Sequence[tuple[str, ProgressUpdatedV1]]


def knowledge_key(learner_id: str) -> str:
    return plain_key_prefix(KNOWLEDGE_KEYS, learner_id) + "knowledge"


async def stored_knowledge(sidecar: DaprSidecar, store: str, learner_id: str) -> LearnerKnowledge | None:
    """The learner's knowledge if it has a key (``None`` also for one kept in actor state before)."""
    entry = await sidecar.get_state(store, knowledge_key(learner_id))
    return None if entry is None else LearnerKnowledge.from_dict(entry.value)


async def fold_stored(
    sidecar: DaprSidecar, store: str, batches: Mapping[str, Events]
) -> tuple[dict[str, list[bool]], list[str]]:
    """Folds each learner's events into their stored knowledge: one read of every learner, one
    guarded save of those changed. Answers, for each learner folded, whether each event changed
    their knowledge, and the learners who have no key yet (for :func:`fold_as_owner`). After
    ``CONFLICT_ATTEMPTS`` reads that found a key changed, raises an outage (the delivery is retried).

    A refused save may have saved its other keys (each is guarded alone): a learner whose key holds
    what this fold saved is not folded again. If another consumer folded the same events to the
    same knowledge meanwhile, both count them as applied: the answer only asks the variant
    generator for items, which it asks once per level anyway."""
    saved: dict[str, tuple[LearnerKnowledge, list[bool]]] = {}  # what each learner's last save wrote
    for _ in range(CONFLICT_ATTEMPTS):
        stored = await sidecar.get_bulk_versioned(store, [knowledge_key(learner) for learner in batches])
        applied: dict[str, list[bool]] = {}
        absent: list[str] = []
        writes: dict[str, Versioned] = {}
        for learner, events in batches.items():
            key = knowledge_key(learner)
            if (entry := stored[key]) is None:
                absent.append(learner)
                continue
            before = LearnerKnowledge.from_dict(entry.value)
            if learner in saved and saved[learner][0] == before:  # a refused save's other keys were saved
                applied[learner] = saved[learner][1]
                continue
            after, applied[learner] = apply_progress_batch(before, events)
            if after is not before and after is not None:
                writes[key] = Versioned(after.to_dict(), entry.etag)
                saved[learner] = after, applied[learner]
        try:
            if writes:
                await sidecar.save_if_unchanged(store, writes)
        except StateConflict:
            continue  # read them all again: only the changed ones fold again
        return applied, absent
    raise SidecarUnavailable("learner knowledge changed under every fold: retrying the delivery", "state-store")


async def fold_as_owner(
    sidecar: DaprSidecar,
    store: str,
    learner_id: str,
    events: Events,
    kept_before: Callable[[], Awaitable[LearnerKnowledge | None]],
) -> list[bool]:
    """The learner's actor folds their events: into their key if it exists (:func:`fold_stored`),
    else into ``kept_before()`` (what the actor's state held, or nothing), creating the key. Whether
    each event changed the knowledge."""
    applied, absent = await fold_stored(sidecar, store, {learner_id: events})
    if not absent:
        return applied[learner_id]
    after, created = apply_progress_batch(await kept_before(), events)
    if after is not None:
        await sidecar.save_state(store, knowledge_key(learner_id), after.to_dict())
    return created
