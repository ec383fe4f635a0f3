"""The learner actor of User Progress: a thin shell around the ledger.

One ``LearnerProgressActor`` per learner, so a learner's events are applied one at a time: Dapr runs
at most one instance per actor id and one call at a time on it, which is what makes 100 concurrent
updates for one learner add up exactly like 100 sequential ones. The actor loads values, lets the
ledger (``user_progress.ledger``) decide, and saves the ledger's changes and the events they produce
in one actor state transaction (the outbox, see ``learnflow_common.dapr.actors``).
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod
from pydantic_core import to_jsonable_python

from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.events import PROGRESS_EVENTS_TOPIC
from user_progress import ledger
from user_progress.contracts import progress_events
from user_progress.domain.events import LearningEvent, as_datetime
from user_progress.views import status_of

LEARNER_ACTOR = "LearnerProgressActor"
#: Events per ReadLog page (whole UTC days, so a page may hold up to a day more).
LOG_PAGE_EVENTS = 1000


class LearnerProgressActions(ActorInterface):
    @actormethod(name="RecordEvent")
    async def record_event(self, event: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="GetStatus")
    async def get_status(self) -> dict[str, Any] | None: ...

    @actormethod(name="GetSnapshot")
    async def get_snapshot(self) -> dict[str, Any] | None: ...

    @actormethod(name="GetDays")
    async def get_days(self, query: dict[str, Any]) -> list[dict[str, Any]]: ...

    @actormethod(name="ReadLog")
    async def read_log(self, query: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="ReadLessons")
    async def read_lessons(self, query: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="AssignLesson")
    async def assign_lesson(self, delivery: dict[str, Any]) -> dict[str, Any]: ...


class LearnerProgressActor(
    SidecarActor, LearnerProgressActions, Remindable
):  # Remindable must be a direct base for the SDK
    async def _snapshot(self) -> ledger.Snapshot | None:
        """The learner's snapshot; a learner stored in an earlier form (the first release's one
        value, or a snapshot folded under earlier rules) is converted first."""
        await self.convert(await ledger.conversion(self.reader))
        return await ledger.load_snapshot(self.reader)

    async def record_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Returns ``{"outcome": "recorded" | "duplicate" | "conflict" | "too-late" | "day-full", ...}``
        with ``status`` for recorded and duplicate, ``horizon`` for too-late."""
        learning_event = LearningEvent.from_dict(event)
        await self._snapshot()
        result = await ledger.record(self.reader, self.id.id, learning_event)
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
        await self.flush_outbox()
        answer: dict[str, Any] = {"outcome": result.outcome}
        if result.outcome in ("recorded", "duplicate") and result.snapshot is not None:
            answer["status"] = _json(status_of(result.snapshot, datetime.now(UTC)))
        if result.outcome == "too-late" and result.snapshot is not None:
            answer["horizon"] = result.snapshot.horizon.isoformat()
        return answer

    async def get_status(self) -> dict[str, Any] | None:
        snapshot = await self._snapshot()
        await self.flush_outbox()
        if snapshot is None or snapshot.fold.last_event is None:
            return None
        return _json(status_of(snapshot, datetime.now(UTC)))

    async def get_snapshot(self) -> dict[str, Any] | None:
        snapshot = await self._snapshot()
        return snapshot.to_dict() if snapshot is not None and snapshot.fold.last_event is not None else None

    async def get_days(self, query: dict[str, Any]) -> list[dict[str, Any]]:
        """``query``: ``{"from": date, "to": date}``: the active days in the range and the last one before."""
        snapshot = await self._snapshot()
        if snapshot is None:
            return []
        start, end = date.fromisoformat(query["from"]), date.fromisoformat(query["to"])
        return [record.to_dict() for record in await ledger.day_records(self.reader, snapshot, start, end)]

    async def read_log(self, query: dict[str, Any]) -> dict[str, Any]:
        """``query``: ``{"cursor": UTC date | None}`` -> ``{"events", "next_cursor"}``, whole days in time order."""
        snapshot = await self._snapshot()
        if snapshot is None:
            return {"events": [], "next_cursor": None}
        cursor = query.get("cursor")
        since = datetime.combine(date.fromisoformat(cursor), datetime.min.time(), UTC) if cursor else None
        events: list[dict[str, Any]] = []
        async for event in ledger.read_log(self.reader, snapshot, since=since):
            day = event.completed_at.astimezone(UTC).date()
            last_day = as_datetime(events[-1]["completed_at"]).astimezone(UTC).date() if events else day
            if len(events) >= LOG_PAGE_EVENTS and day != last_day:
                return {"events": events, "next_cursor": day.isoformat()}
            events.append(event.to_dict())
        return {"events": events, "next_cursor": None}

    async def read_lessons(self, query: dict[str, Any]) -> dict[str, Any]:
        """``query``: ``{"cursor": month | None}`` -> one month of ``{"lessons", "next_cursor"}``."""
        snapshot = await self._snapshot()
        months = [m for m in (snapshot.lesson_months if snapshot else ()) if m >= (query.get("cursor") or "")]
        if not months:
            return {"lessons": {}, "next_cursor": None}
        lessons = await self.reader.get(ledger.lessons_key(months[0])) or {}
        return {"lessons": lessons, "next_cursor": months[1] if len(months) > 1 else None}

    async def assign_lesson(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """``delivery``: ``{"event_id", "data": <lesson.generated.v1 data>}``."""
        lesson = delivery["data"]
        await self._snapshot()
        snapshot, changes = await ledger.assign_lesson(
            self.reader, self.id.id, lesson["lesson_id"], lesson["topic"], as_datetime(lesson["created_at"])
        )
        if changes:
            await self.save_changes(changes)
        return {"assigned": snapshot.lessons_assigned if snapshot else 0}


def _json(value: Any) -> Any:
    return to_jsonable_python(value)
