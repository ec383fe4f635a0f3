"""The actors of User Progress as typed calls: every method, its request and its answer, declared once.

The routers and consumers call :class:`LearnerProgress` and :class:`LeaderboardShard` (or call a
method from ``deliver_in_batches``); the actors in ``adapters/actors.py`` and ``adapters/leaderboard.py``
read their requests and write their answers through the same :class:`ActorMethod` values. Domain
values travel in their stored ``to_dict`` form (:class:`DictForm`).
"""

from __future__ import annotations

import logging
from collections.abc import AsyncIterator
from datetime import UTC, date, datetime
from typing import Annotated

from pydantic import BaseModel

from learnflow_common.dapr.actor_methods import ActorDelivery, ActorInvoker, ActorMethod, DictForm
from learnflow_common.dapr.errors import ActorMethodFailed
from learnflow_common.metrics import ACTOR_METHOD_FALLBACKS
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import ClosedDay
from user_progress.domain.leaderboard import ShardStandings
from user_progress.ledger import Outcome, Recording, Snapshot
from user_progress.status_answers import status_body

LEARNER_ACTOR = "LearnerProgressActor"
LEADERBOARD_ACTOR = "LeaderboardActor"
log = logging.getLogger(__name__)

Event = Annotated[LearningEvent, DictForm(LearningEvent.from_dict)]
LearnerSnapshot = Annotated[Snapshot, DictForm(Snapshot.from_dict)]
Day = Annotated[ClosedDay, DictForm(ClosedDay.from_dict)]
Standings = Annotated[ShardStandings, DictForm(ShardStandings.from_dict)]
#: A lesson generated for the learner: ``{"topic", "assigned_at"}``.
AssignedLesson = dict[str, str]


class Recorded(BaseModel):
    """RecordEvent's answer: the learner after the event (recorded, duplicate), or the late-event
    horizon (too-late)."""

    outcome: Outcome
    snapshot: LearnerSnapshot | None = None
    horizon: datetime | None = None

    @classmethod
    def of(cls, recording: Recording) -> Recorded:
        snapshot = recording.snapshot
        if snapshot is None:
            return cls(outcome=recording.outcome)
        if recording.outcome in ("recorded", "duplicate"):
            return cls(outcome=recording.outcome, snapshot=snapshot)
        if recording.outcome == "too-late":
            return cls(outcome=recording.outcome, horizon=snapshot.horizon)
        return cls(outcome=recording.outcome)


class RecordedStatus(BaseModel):
    """RecordEventForStatus's answer: RecordEvent's, with the learner's status at the actor's moment
    (GET /status's JSON, ``status_answers.status_body``) in place of the snapshot. POST
    /update-progress answers that status: the actor has the learner's values at hand, where the
    caller would parse the snapshot (~6 KB) and compute the status from it (~0.15 ms of the app's
    CPU per update; benchmarks/results/PROFILE.md, "Phase 21")."""

    outcome: Outcome
    status_body: str | None = None
    horizon: datetime | None = None

    @classmethod
    def of(cls, recorded: Recorded, now: datetime) -> RecordedStatus:
        snapshot = recorded.snapshot
        body = status_body(snapshot, now).decode() if snapshot is not None else None
        return cls(outcome=recorded.outcome, status_body=body, horizon=recorded.horizon)


class DaysQuery(BaseModel):
    start: date
    end: date


class LogQuery(BaseModel):
    """``cursor``: the UTC day to read on from (None: the first)."""

    cursor: date | None = None


class LogPage(BaseModel):
    """Whole UTC days of events in time order; ``next_cursor`` is the day the next page starts on."""

    events: list[Event]
    next_cursor: date | None = None


class LessonsQuery(BaseModel):
    """``cursor``: the month (``YYYY-MM``) to read on from (None: the first)."""

    cursor: str | None = None


class LessonsPage(BaseModel):
    """One month of lessons by lesson id; ``next_cursor`` is the next month that has some."""

    lessons: dict[str, AssignedLesson]
    next_cursor: str | None = None


class Assigned(BaseModel):
    """How many lessons the learner has been assigned, after AssignLesson."""

    assigned: int


class StandingsQuery(BaseModel):
    """``learner_id``: report this learner's XP if they are in the shard; ``xp``: count the learners
    above that XP (the learner asked for is in another shard)."""

    limit: int
    learner_id: str | None = None
    xp: int | None = None


class Written(BaseModel):
    """The state keys RecordWeekXp wrote: none for a redelivered or older event."""

    written: list[str]


RECORD_EVENT: ActorMethod[Event, Recorded] = ActorMethod(LEARNER_ACTOR, "RecordEvent", Event, Recorded)
#: RecordEvent answering the status. Added after RecordEvent, which stays: a release before it may
#: still call RecordEvent, or host the actor without this method, during a rolling update.
RECORD_EVENT_FOR_STATUS: ActorMethod[Event, RecordedStatus] = ActorMethod(
    LEARNER_ACTOR, "RecordEventForStatus", Event, RecordedStatus
)
GET_SNAPSHOT: ActorMethod[None, Snapshot | None] = ActorMethod(
    LEARNER_ACTOR, "GetSnapshot", None, LearnerSnapshot | None
)
GET_DAYS: ActorMethod[DaysQuery, list[ClosedDay]] = ActorMethod(LEARNER_ACTOR, "GetDays", DaysQuery, list[Day])
READ_LOG: ActorMethod[LogQuery, LogPage] = ActorMethod(LEARNER_ACTOR, "ReadLog", LogQuery, LogPage)
READ_LESSONS: ActorMethod[LessonsQuery, LessonsPage] = ActorMethod(
    LEARNER_ACTOR, "ReadLessons", LessonsQuery, LessonsPage
)
#: A batch of one learner's lesson events (in the order delivered), answered per event.
ASSIGN_LESSON: ActorMethod[list[ActorDelivery], list[Assigned]] = ActorMethod(
    LEARNER_ACTOR, "AssignLesson", list[ActorDelivery], list[Assigned]
)
#: A batch of one shard's events (oldest first), answered per event.
RECORD_WEEK_XP: ActorMethod[list[ActorDelivery], list[Written]] = ActorMethod(
    LEADERBOARD_ACTOR, "RecordWeekXp", list[ActorDelivery], list[Written]
)
STANDINGS: ActorMethod[StandingsQuery, ShardStandings] = ActorMethod(
    LEADERBOARD_ACTOR, "Standings", StandingsQuery, Standings
)


class LearnerProgress:
    """One learner's ``LearnerProgressActor``."""

    def __init__(self, sidecar: ActorInvoker, learner_id: str) -> None:
        self.sidecar, self.learner_id = sidecar, learner_id

    async def record_event(self, event: LearningEvent) -> Recorded:
        return await RECORD_EVENT.call(self.sidecar, self.learner_id, event)

    async def record_event_for_status(self, event: LearningEvent) -> RecordedStatus:
        """Records the event and answers the learner's status. The actor may be hosted by a replica
        of the release before RecordEventForStatus (a rolling update): that one refuses the method
        before the event reaches the actor, so RecordEvent is called instead."""
        try:
            return await RECORD_EVENT_FOR_STATUS.call(self.sidecar, self.learner_id, event)
        except ActorMethodFailed as error:
            if not names_unknown_method(error, RECORD_EVENT_FOR_STATUS.name):
                raise
        ACTOR_METHOD_FALLBACKS.labels(LEARNER_ACTOR, RECORD_EVENT_FOR_STATUS.name, RECORD_EVENT.name).inc()
        log.info(
            "the learner actor's host has no %s (a replica of the release before): recording with %s",
            RECORD_EVENT_FOR_STATUS.name,
            RECORD_EVENT.name,
        )
        recorded = await RECORD_EVENT.call(self.sidecar, self.learner_id, event)
        return RecordedStatus.of(recorded, datetime.now(UTC))

    async def snapshot(self) -> Snapshot | None:
        """The learner's snapshot; None until their first event."""
        return await GET_SNAPSHOT.call(self.sidecar, self.learner_id, None)

    async def days(self, start: date, end: date) -> list[ClosedDay]:
        """The active local days in [start, end] and the last one before."""
        return await GET_DAYS.call(self.sidecar, self.learner_id, DaysQuery(start=start, end=end))

    async def log(self) -> AsyncIterator[LearningEvent]:
        """Every event of the learner in time order, read a page at a time."""
        query = LogQuery()
        while True:
            page = await READ_LOG.call(self.sidecar, self.learner_id, query)
            for event in page.events:
                yield event
            if page.next_cursor is None:
                return
            query = LogQuery(cursor=page.next_cursor)

    async def lessons(self) -> AsyncIterator[tuple[str, AssignedLesson]]:
        """Every lesson generated for the learner, a month at a time."""
        query = LessonsQuery()
        while True:
            page = await READ_LESSONS.call(self.sidecar, self.learner_id, query)
            for item in page.lessons.items():
                yield item
            if page.next_cursor is None:
                return
            query = LessonsQuery(cursor=page.next_cursor)


class LeaderboardShard:
    """One ``LeaderboardActor``: a shard of a week (actor id ``2026-W47.07``)."""

    def __init__(self, sidecar: ActorInvoker, actor_id: str) -> None:
        self.sidecar, self.actor_id = sidecar, actor_id

    async def standings(self, query: StandingsQuery) -> ShardStandings:
        return await STANDINGS.call(self.sidecar, self.actor_id, query)


def names_unknown_method(error: ActorMethodFailed, method: str) -> bool:
    """Whether the actor's host said it has no method ``method`` (the Dapr SDK's
    ``ActorMethodNotFoundError``, raised before the actor is activated or called)."""
    return f"has no method {method}'" in str(error)
