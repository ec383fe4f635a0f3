"""The actors of User Progress.

LearnerProgressActor: one per learner, so a learner's events are applied one at a time. Dapr runs
at most one instance per actor id and one call at a time on it, which is what makes 100 concurrent
updates for one learner add up exactly like 100 sequential ones. The record and the events a change
produces are saved in one actor state transaction (the outbox, see learnflow_common.dapr.actors).

LeaderboardActor: one per UTC ISO week; folds ``week_xp`` from progress events (max per learner,
so redelivered and out-of-order events are harmless).
"""

from __future__ import annotations

import uuid
from datetime import UTC, datetime
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod
from pydantic_core import to_jsonable_python

from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.events import (
    PROGRESS_EVENTS_TOPIC,
    AchievementUnlockedV1,
    CloudEvent,
    ProgressUpdatedV1,
    StreakUpdatedV1,
)
from user_progress.domain.events import EventConflict, LearningEvent, as_datetime
from user_progress.domain.learner import LearnerRecord, Recorded, assign_lesson, record_event, replay
from user_progress.domain.status import iso_week, learner_status, week_xp
from user_progress.domain.xp import event_xp, level_for

RECORD_KEY = "record"
LEARNER_ACTOR = "LearnerProgressActor"
LEADERBOARD_ACTOR = "LeaderboardActor"
EVENT_ID_NAMESPACE = uuid.UUID("6f1c1f55-3f0e-4d7c-9a55-2f5d0f3c4a10")


class LearnerProgressActions(ActorInterface):
    @actormethod(name="RecordEvent")
    async def record_event(self, event: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="GetStatus")
    async def get_status(self) -> dict[str, Any] | None: ...

    @actormethod(name="GetRecord")
    async def get_record(self) -> dict[str, Any] | None: ...

    @actormethod(name="AssignLesson")
    async def assign_lesson(self, delivery: dict[str, Any]) -> dict[str, Any]: ...


class LearnerProgressActor(
    SidecarActor, LearnerProgressActions, Remindable
):  # Remindable must be a direct base for the SDK
    async def _record(self) -> LearnerRecord | None:
        found, raw = await self._state_manager.try_get_state(RECORD_KEY)
        return LearnerRecord.from_dict(raw) if found else None

    async def record_event(self, event: dict[str, Any]) -> dict[str, Any]:
        """Returns ``{"outcome": "recorded" | "duplicate" | "conflict", "status": ...}``."""
        learning_event = LearningEvent.from_dict(event)
        try:
            result = record_event(await self._record(), learning_event)
        except EventConflict:
            return {"outcome": "conflict"}
        if not result.duplicate:
            await self._state_manager.set_state(RECORD_KEY, result.record.to_dict())
            await self.stage_events(PROGRESS_EVENTS_TOPIC, self._events_of(learning_event, result))
            await self._state_manager.save_state()
        await self.flush_outbox()
        return {
            "outcome": "duplicate" if result.duplicate else "recorded",
            "status": to_jsonable_python(learner_status(result.record, result.state, datetime.now(UTC))),
        }

    async def get_status(self) -> dict[str, Any] | None:
        record = await self._record()
        await self.flush_outbox()
        if record is None or not record.events:
            return None
        status = learner_status(record, replay(record.learner_id, record.events.values()), datetime.now(UTC))
        return to_jsonable_python(status)  # type: ignore[no-any-return]

    async def get_record(self) -> dict[str, Any] | None:
        record = await self._record()
        return record.to_dict() if record is not None and record.events else None

    async def assign_lesson(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """``delivery``: ``{"event_id", "data": <lesson.generated.v1 data>}``."""
        lesson = delivery["data"]
        current = await self._record()
        updated = assign_lesson(
            current, self.id.id, lesson["lesson_id"], lesson["topic"], as_datetime(lesson["created_at"])
        )
        if updated is not current:
            await self._state_manager.set_state(RECORD_KEY, updated.to_dict())
            await self._state_manager.save_state()
        return {"assigned": len(updated.lessons_assigned)}

    def _events_of(self, event: LearningEvent, result: Recorded) -> list[CloudEvent]:
        state, learner = result.state, event.learner_id
        topic = state.topics[event.topic]
        week = iso_week(event.completed_at)
        payloads: list[tuple[str, Any]] = [
            (
                "",
                ProgressUpdatedV1(
                    learner_id=learner,
                    source_event_id=event.event_id,
                    activity=event.activity,
                    topic=event.topic,
                    score=event.score,
                    duration_seconds=event.duration_seconds,
                    hints_used=event.hints_used,
                    lesson_id=event.lesson_id,
                    completed_at=event.completed_at,
                    events_recorded=len(result.record.events),
                    xp_earned=event_xp(event),
                    xp_total=state.xp,
                    level=level_for(state.xp).level,
                    topic_mastery=topic.mastery.score,
                    topic_level=topic.mastery.level,
                    topic_next_review_at=topic.card.due,
                    week=week,
                    week_xp=week_xp(result.record, week),
                ),
            )
        ]
        payloads += [
            (
                achievement.id,
                AchievementUnlockedV1(
                    learner_id=learner,
                    achievement_id=achievement.id,
                    title=achievement.title,
                    description=achievement.description,
                    unlocked_at=state.unlocked[achievement.id],
                    source_event_id=event.event_id,
                ),
            )
            for achievement in result.newly_unlocked
        ]
        if result.streak_changed:
            payloads.append(
                (
                    "",
                    StreakUpdatedV1(
                        learner_id=learner,
                        current=state.streak.current,
                        longest=state.streak.longest,
                        previous_current=result.previous_streak.current,
                        previous_longest=result.previous_streak.longest,
                        freezes_available=state.streak.freezes_available,
                        last_active_date=state.streak.last_active_date,
                        timezone=state.timezone,
                        source_event_id=event.event_id,
                    ),
                )
            )
        return [
            CloudEvent.wrap(
                event_id=str(
                    uuid.uuid5(EVENT_ID_NAMESPACE, f"{learner}/{event.event_id}/{payload.EVENT_TYPE}/{discriminator}")
                ),
                source=self.settings.app_id,
                payload=payload,
                subject=learner,
            )
            for discriminator, payload in payloads
        ]


class LeaderboardActions(ActorInterface):
    @actormethod(name="RecordWeekXp")
    async def record_week_xp(self, delivery: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="Standings")
    async def standings(self, query: dict[str, Any]) -> dict[str, Any]: ...


class LeaderboardActor(SidecarActor, LeaderboardActions, Remindable):  # Remindable must be a direct base for the SDK
    """Actor id: the week (``2026-W47``). State: learner id -> that week's XP."""

    async def record_week_xp(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """``delivery``: ``{"event_id", "data": <progress.updated.v1 data>}``; keeps the max week_xp."""
        entry = delivery["data"]
        scores: dict[str, int] = await self._state_manager.get_or_add_state("scores", {})
        learner, week_xp_value = entry["learner_id"], int(entry["week_xp"])
        if week_xp_value > scores.get(learner, -1):
            await self._state_manager.set_state("scores", {**scores, learner: week_xp_value})
            await self._state_manager.save_state()
        return {"learners": len(scores)}

    async def standings(self, query: dict[str, Any]) -> dict[str, Any]:
        """``query``: ``{"limit": int, "learner_id": str | None}`` -> the top entries and that learner's."""
        found, scores = await self._state_manager.try_get_state("scores")
        ranked = sorted((scores or {}).items(), key=lambda item: (-item[1], item[0])) if found else []
        entries = [{"rank": rank, "learner_id": learner, "xp": xp} for rank, (learner, xp) in enumerate(ranked, 1)]
        mine = next((entry for entry in entries if entry["learner_id"] == query.get("learner_id")), None)
        return {"entries": entries[: query["limit"]], "learner": mine, "learners": len(entries)}
