"""Where a learner's values live, and the read of them that does not call the learner's actor.

The ``LearnerProgressActor`` is the only writer of a learner's values (Dapr runs one instance of it,
one call at a time), and keeps them as plain keys of the state store, ``learner~<id>~<key>``
(``learnflow_common.dapr.actor_state.PlainKeyState``; the keys are ``user_progress.ledger``'s). So a
read that needs no conversion reads them in one sidecar exchange: ``GET /status`` reads the snapshot,
committed before any update was answered, without passing through the actor.

An earlier release kept them in the actor's own state, which only the actor can read: such a
learner, like one whose snapshot is of an earlier layout, is read through the actor, which moves
or converts it first (``adapters/actors.py``).
"""

from __future__ import annotations

from learnflow_common.dapr.actor_state import plain_key_prefix
from learnflow_common.dapr.sidecar import DaprSidecar
from user_progress import ledger
from user_progress.adapters.actor_interface import LearnerProgress

LEARNER_KEYS = "learner"


async def learner_snapshot(sidecar: DaprSidecar, store: str, learner_id: str) -> ledger.Snapshot | None:
    """The learner's snapshot as last committed; ``None`` until their first event. Read from its
    plain key in one exchange; through the actor when that has none (a new learner, or one not
    moved yet) or one of an earlier layout."""
    entry = await sidecar.get_state(store, plain_key_prefix(LEARNER_KEYS, learner_id) + ledger.SNAPSHOT_KEY)
    if entry is None or entry.value.get("version") != ledger.LAYOUT_VERSION:
        return await LearnerProgress(sidecar, learner_id).snapshot()
    snapshot = ledger.Snapshot.from_dict(entry.value)
    return snapshot if snapshot.fold.last_event is not None else None
