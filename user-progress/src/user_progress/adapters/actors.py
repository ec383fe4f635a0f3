"""The learner actor of User Progress: a thin shell around the ledger.

One ``LearnerProgressActor`` per learner, so a learner's events are applied one at a time: Dapr runs
at most one instance per actor id and one call at a time on it, which is what makes 100 concurrent
updates for one learner add up exactly like 100 sequential ones. The actor loads values, lets the
ledger (``user_progress.ledger``) decide, and saves the ledger's changes and the events they produce
in one state transaction (the outbox, see ``learnflow_common.dapr.actors``).

The learner's values are plain keys of the state store (``adapters/learner_keys.py``), so reads
that need no conversion skip the actor; a learner an earlier release kept in the actor's own state
is moved to them on its first call (:meth:`LearnerProgressActor._move_from_actor_state`).

The actor also keeps, in memory only, the ledger's recent folds (``ledger.RecentFolds``: a racing
request's late event is folded from the one before it, not from the day start), for at most
``RECENT_FOLDS_LEARNERS`` learners per process.
"""

from __future__ import annotations

import logging
import weakref
from collections import OrderedDict
from datetime import UTC, datetime
from typing import Any, ClassVar

from dapr.actor import ActorInterface, Remindable, actormethod

from learnflow_common.dapr.actor_state import ActorState, PlainKeyState, SdkActorState
from learnflow_common.dapr.actors import OUTBOX_KEYS, STAGING_READS, SidecarActor
from learnflow_common.events import PROGRESS_EVENTS_TOPIC
from user_progress import ledger
from user_progress.adapters.actor_interface import (
    ASSIGN_LESSON,
    GET_DAYS,
    GET_SNAPSHOT,
    READ_LESSONS,
    READ_LOG,
    RECORD_EVENT,
    RECORD_EVENT_FOR_STATUS,
    Assigned,
    LessonsPage,
    LogPage,
    Recorded,
    RecordedStatus,
)
from user_progress.adapters.learner_keys import LEARNER_KEYS
from user_progress.contracts import progress_events
from user_progress.domain.events import as_datetime

#: Learners whose actors hold recent folds at once, process-wide: ~140 KB each (up to ~450 KB when
#: events carry many item results), so at most ~5-15 MB. A learner holds them only once it had a
#: late event, and the one that recorded least recently forgets them first.
RECENT_FOLDS_LEARNERS = 32
log = logging.getLogger(__name__)
#: What a moved learner's actor state keeps under ``snapshot``: a release that still reads actor
#: state (a pod of it during a rolling update) fails on it rather than taking the learner for a new
#: one and recording apart from the moved values.
MOVED_MARKER = {"version": "moved", "to": "plain keys learner~<id>~<key> (adapters/learner_keys.py)"}


class LearnerProgressActions(ActorInterface):
    """The methods Dapr dispatches; their requests and answers are declared in ``actor_interface``."""

    @actormethod(name="RecordEvent")
    async def record_event(self, event: Any) -> Any: ...

    @actormethod(name="RecordEventForStatus")
    async def record_event_for_status(self, event: Any) -> Any: ...

    @actormethod(name="GetSnapshot")
    async def get_snapshot(self) -> Any: ...

    @actormethod(name="GetDays")
    async def get_days(self, query: Any) -> Any: ...

    @actormethod(name="ReadLog")
    async def read_log(self, query: Any) -> Any: ...

    @actormethod(name="ReadLessons")
    async def read_lessons(self, query: Any) -> Any: ...

    @actormethod(name="AssignLesson")
    async def assign_lesson(self, deliveries: Any) -> Any: ...


class RecentFoldHolders:
    """The actors holding recent folds, at most ``capacity`` at once: when one more keeps some, the
    one that kept them least recently forgets its own. Forgetting is always safe (the ledger then
    folds from the day start); a deactivated actor is not kept alive by being listed here."""

    def __init__(self, capacity: int) -> None:
        self.capacity = capacity
        self._actors: OrderedDict[str, weakref.ref[LearnerProgressActor]] = OrderedDict()

    def keep(self, actor: LearnerProgressActor, recent: ledger.RecentFolds | None) -> None:
        actor.recent_folds = recent
        self._actors.pop(actor.id.id, None)
        if recent is None:
            return
        self._actors[actor.id.id] = weakref.ref(actor)
        while len(self._actors) > self.capacity:
            _, forgetting = self._actors.popitem(last=False)
            if (evicted := forgetting()) is not None:
                evicted.recent_folds = None


class LearnerProgressActor(
    SidecarActor, LearnerProgressActions, Remindable
):  # Remindable must be a direct base for the SDK
    holders: ClassVar[RecentFoldHolders] = RecentFoldHolders(RECENT_FOLDS_LEARNERS)
    #: The folds after the newest day's latest events, as the last committed recording returned
    #: them (this activation only; never stored).
    recent_folds: ledger.RecentFolds | None = None
    #: This activation found the learner's values on plain keys (or moved them there).
    _on_plain_keys: bool = False

    async def _on_deactivate(self) -> None:
        await super()._on_deactivate()
        self.holders.keep(self, None)

    def make_state(self) -> ActorState:
        return PlainKeyState(
            self.sidecar,
            self.settings.state_store,
            LEARNER_KEYS,
            self.id.id,
            self.settings.actor_cached_values,
            self.value_holders,
        )

    async def _move_from_actor_state(self) -> None:
        """Once an activation: a learner an earlier release kept in the actor's own state, with
        nothing on plain keys yet, is moved to them."""
        if self._on_plain_keys:
            return
        if await self.state.get(ledger.SNAPSHOT_KEY) is None and await self.state.get(ledger.LEGACY_RECORD_KEY) is None:
            await self._move(SdkActorState(self._state_manager, self.settings.actor_cached_values, self.value_holders))
        self._on_plain_keys = True

    async def _move(self, old: SdkActorState) -> None:
        """The learner's values written to plain keys in batches, the snapshot last (a move cut short
        is redone), then removed from actor state, where :data:`MOVED_MARKER` is left."""
        stored = await old.get(ledger.SNAPSHOT_KEY)
        if stored is not None and stored.get("version") == MOVED_MARKER["version"]:
            return
        batches = await ledger.relocation(old)
        if not batches:
            return
        batches[-1].update({key: value for key in OUTBOX_KEYS if (value := await old.get(key)) is not None})
        await self.convert(batches)
        for batch in batches:
            for key in batch:
                await old.remove(key)
            if batch is batches[-1]:
                old.stage(ledger.SNAPSHOT_KEY, MOVED_MARKER)
            await old.commit()
        log.info("learner %s moved from actor state to plain keys (%d batches)", self.id.id, len(batches))

    async def _convert(self) -> None:
        """Moves a learner kept in actor state, converts one stored in an earlier form (the first
        release's one value, or a snapshot folded under earlier rules), and forgets recent folds of it."""
        await self._move_from_actor_state()
        batches = await ledger.conversion(self.reader)
        if batches:
            self.holders.keep(self, None)
        await self.convert(batches)

    async def _snapshot(self) -> ledger.Snapshot | None:
        """The learner's snapshot, converted first if stored in an earlier form."""
        await self._convert()
        return await ledger.load_snapshot(self.reader)

    async def record_event(self, event: Any) -> Any:
        return RECORD_EVENT.answer(Recorded.of(await self._record(event)))

    async def record_event_for_status(self, event: Any) -> Any:
        recorded = Recorded.of(await self._record(event))
        return RECORD_EVENT_FOR_STATUS.answer(RecordedStatus.of(recorded, datetime.now(UTC)))

    async def _record(self, event: Any) -> ledger.Recording:
        """The recent folds are taken for the call and kept again only once its changes are committed:
        they must be folds of what is stored."""
        learning_event = RECORD_EVENT.request_of(event)
        # what ledger.record and the outbox read, in one exchange (those not known yet: all of them
        # on a learner's first call in an activation, else the new event's id)
        await self.state.prefetch([*ledger.keys_record_reads(learning_event), *STAGING_READS])
        await self._convert()  # ledger.record reads the snapshot itself
        recent = self.recent_folds
        self.holders.keep(self, None)
        result = await ledger.record(self.reader, self.id.id, learning_event, recent)
        if result.outcome == "recorded":
            assert result.snapshot is not None
            assert result.before is not None
            await self.stage_changes(result.changes)
            await self.stage_events(
                PROGRESS_EVENTS_TOPIC,
                progress_events(
                    learning_event, result.before, result.snapshot.fold, result.newly_unlocked, self.settings.app_id
                ),
            )
            await self.save_changes({})
        self.holders.keep(self, result.recent)
        await self.publish_after_answer()
        return result

    async def get_snapshot(self) -> Any:
        """None until the learner's first event. Publishes what the outbox still holds, as every call does."""
        snapshot = await self._snapshot()
        await self.flush_outbox()
        known = snapshot is not None and snapshot.fold.last_event is not None
        return GET_SNAPSHOT.answer(snapshot if known else None)

    async def get_days(self, query: Any) -> Any:
        days = GET_DAYS.request_of(query)
        snapshot = await self._snapshot()
        records = await ledger.day_records(self.reader, snapshot, days.start, days.end) if snapshot else []
        return GET_DAYS.answer(records)

    async def read_log(self, query: Any) -> Any:
        cursor = READ_LOG.request_of(query).cursor
        events, next_cursor = await ledger.log_page(self.reader, await self._snapshot(), cursor)
        return READ_LOG.answer(LogPage(events=events, next_cursor=next_cursor))

    async def read_lessons(self, query: Any) -> Any:
        cursor = READ_LESSONS.request_of(query).cursor
        lessons, next_cursor = await ledger.lessons_page(self.reader, await self._snapshot(), cursor)
        return READ_LESSONS.answer(LessonsPage(lessons=lessons, next_cursor=next_cursor))

    async def assign_lesson(self, deliveries: Any) -> Any:
        """``deliveries``: the learner's ``lesson.generated.v1`` events (one, or a bulk delivery's
        batch), each remembered through what the earlier ones staged; one transaction for all."""
        batch = ASSIGN_LESSON.request_of(deliveries)
        await self._convert()  # ledger.assign_lesson reads the snapshot itself
        assigned: list[Assigned] = []
        changed = False
        async with self.staging():
            for delivery in batch:
                lesson = delivery.data
                snapshot, changes = await ledger.assign_lesson(
                    self.reader, self.id.id, lesson["lesson_id"], lesson["topic"], as_datetime(lesson["created_at"])
                )
                await self.stage_changes(changes)
                changed = changed or bool(changes)
                assigned.append(Assigned(assigned=snapshot.lessons_assigned if snapshot else 0))
            if changed:
                await self.commit_state()
        return ASSIGN_LESSON.answer(assigned)
