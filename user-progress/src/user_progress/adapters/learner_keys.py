"""Where a learner's values live, and the read of them that does not call the learner's actor.

The ``LearnerProgressActor`` is the only writer of a learner's values (Dapr runs one instance of it,
one call at a time), and keeps them as plain keys of the state store, ``learner~<id>~<key>``
(``learnflow_common.dapr.actor_state.PlainKeyState``; the keys are ``user_progress.ledger``'s). So a
read that needs no conversion reads them in one sidecar exchange: ``GET /status`` reads the snapshot,
committed before any update was answered, without passing through the actor (and its ETag, to send
again an answer kept for it: ``status_answers.py``).

An earlier release kept them in the actor's own state, which only the actor can read: such a
learner, like one whose snapshot is of an earlier layout, is read through the actor, which moves
or converts it first (``adapters/actors.py``).
"""

from __future__ import annotations

from datetime import datetime

from learnflow_common.dapr.actor_state import plain_key_prefix
from learnflow_common.dapr.sidecar import DaprSidecar, StateEntry
from user_progress import ledger
from user_progress.adapters.actor_interface import LearnerProgress
from user_progress.status_answers import StatusAnswers, status_body

LEARNER_KEYS = "learner"


async def learner_snapshot(sidecar: DaprSidecar, store: str, learner_id: str) -> ledger.Snapshot | None:
    """The learner's snapshot as last committed; ``None`` until their first event. Read from its
    plain key in one exchange; through the actor when that has none (a new learner, or one not
    moved yet) or one of an earlier layout."""
    entry = await _snapshot_entry(sidecar, store, learner_id)
    if entry is None:
        return await LearnerProgress(sidecar, learner_id).snapshot()
    return _recorded(ledger.Snapshot.from_dict(entry.value))


async def learner_status_body(
    sidecar: DaprSidecar, store: str, answers: StatusAnswers, learner_id: str, now: datetime
) -> bytes | None:
    """GET /status's body at ``now``, read as :func:`learner_snapshot` reads; ``None`` until the
    learner's first event. The answer kept for the snapshot just read, when there is one: then the
    snapshot is not even parsed (an answer is kept only for a snapshot of this layout, and its ETag
    changes with every write)."""
    entry = await sidecar.get_state(store, _snapshot_key(learner_id))
    if entry is not None and (kept := answers.kept(learner_id, entry.etag, now)) is not None:
        return kept
    if entry is None or not _of_this_layout(entry):
        snapshot = await LearnerProgress(sidecar, learner_id).snapshot()
        return None if snapshot is None else status_body(snapshot, now)
    snapshot = _recorded(ledger.Snapshot.from_dict(entry.value))
    return None if snapshot is None else answers.answer(learner_id, entry.etag, snapshot, now)


async def _snapshot_entry(sidecar: DaprSidecar, store: str, learner_id: str) -> StateEntry | None:
    """The snapshot's plain key, if it has one of this layout."""
    entry = await sidecar.get_state(store, _snapshot_key(learner_id))
    return entry if entry is not None and _of_this_layout(entry) else None


def _snapshot_key(learner_id: str) -> str:
    return plain_key_prefix(LEARNER_KEYS, learner_id) + ledger.SNAPSHOT_KEY


def _of_this_layout(entry: StateEntry) -> bool:
    return bool(entry.value.get("version") == ledger.LAYOUT_VERSION)


def _recorded(snapshot: ledger.Snapshot) -> ledger.Snapshot | None:
    return snapshot if snapshot.fold.last_event is not None else None
