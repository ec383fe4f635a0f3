"""LearnerPlanActor: one per learner (registered with placement).

It holds the agent's knowledge of the learner (folded from progress events), the learner's lessons
and their index, and it serialises generation for that learner, so two concurrent requests cannot
both claim the same "next" lesson. A lesson, its index entry and its ``lesson.generated`` event are
saved in one actor state transaction (outbox, see learnflow_common.dapr.actors).
"""

from __future__ import annotations

import logging
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod

from course_agent.domain.generator import BUILTIN, choose, compose
from course_agent.domain.knowledge import LearnerKnowledge, apply_progress, from_status
from course_agent.domain.lesson import Lesson
from course_agent.domain.prompt import SYSTEM_PROMPT, parse_reply, user_prompt
from course_agent.schemas import load_schema
from learnflow_common.dapr import SidecarRefused, SidecarUnavailable
from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.events import LESSON_EVENTS_TOPIC, CloudEvent, LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.validation import LESSON_ID_SEPARATOR

KNOWLEDGE_KEY = "knowledge"
INDEX_KEY = "lessons"
REQUESTS_KEY = "requests"
ACTOR_TYPE = "LearnerPlanActor"
NAMESPACE = uuid.UUID("0b7e3c0e-4a55-4f7a-9a3e-7d2f1c9e5b21")
USER_PROGRESS_APP_ID = "user-progress"
#: What GET /lessons lists for each lesson (the full document is GET /lessons/{lesson_id}).
SUMMARY_FIELDS = ("lesson_id", "learner_id", "topic", "difficulty", "title", "rationale", "generator", "created_at")
log = logging.getLogger(__name__)
LESSON_SCHEMA = load_schema()


def planned_topics(index: list[dict[str, Any]], knowledge: LearnerKnowledge | None) -> frozenset[str]:
    """The learner's plan: topics with a lesson generated after their last activity on the topic."""
    planned = set()
    for entry in index:
        known = knowledge.topics.get(entry["topic"]) if knowledge else None
        last = known.last_activity_at if known else None
        if last is None or datetime.fromisoformat(entry["created_at"]) > last:
            planned.add(entry["topic"])
    return frozenset(planned)


def lesson_key(lesson_id: str) -> str:
    return f"lesson:{lesson_id}"


class LearnerPlanActions(ActorInterface):
    @actormethod(name="ApplyProgress")
    async def apply_progress(self, delivery: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="GetKnowledge")
    async def get_knowledge(self) -> dict[str, Any] | None: ...

    @actormethod(name="GenerateLesson")
    async def generate_lesson(self, request: dict[str, Any]) -> dict[str, Any]: ...

    @actormethod(name="GetLesson")
    async def get_lesson(self, lesson_id: str) -> dict[str, Any] | None: ...

    @actormethod(name="ListLessons")
    async def list_lessons(self, query: dict[str, Any]) -> dict[str, Any]: ...


class LearnerPlanActor(SidecarActor, LearnerPlanActions, Remindable):  # Remindable must be a direct base for the SDK
    async def _knowledge(self) -> LearnerKnowledge | None:
        found, raw = await self._state_manager.try_get_state(KNOWLEDGE_KEY)
        return LearnerKnowledge.from_dict(raw) if found else None

    async def apply_progress(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """``delivery`` is ``{"event_id": <CloudEvent id>, "data": <progress.updated.v1 data>}``."""
        current = await self._knowledge()
        updated = apply_progress(current, delivery["event_id"], ProgressUpdatedV1.model_validate(delivery["data"]))
        if updated is not current:
            await self._state_manager.set_state(KNOWLEDGE_KEY, updated.to_dict())
            await self.commit_state()
        return {"applied": updated is not current}

    async def get_knowledge(self) -> dict[str, Any] | None:
        found, raw = await self._state_manager.try_get_state(KNOWLEDGE_KEY)
        return raw if found else None

    async def generate_lesson(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request``: ``{"topic", "difficulty", "request_id"}`` (each may be null) -> the lesson."""
        await self.flush_outbox()
        request_id = request.get("request_id")
        requests: dict[str, str] = await self._state_manager.get_or_add_state(REQUESTS_KEY, {})
        if request_id and request_id in requests:
            found, existing = await self._state_manager.try_get_state(lesson_key(requests[request_id]))
            if found:
                return dict(existing)
        knowledge, source_note = await self._knowledge_or_fallback()
        now = datetime.now(UTC)
        index: list[dict[str, Any]] = await self._state_manager.get_or_add_state(INDEX_KEY, [])
        choice = choose(
            knowledge, now, request.get("topic"), request.get("difficulty"), planned_topics(index, knowledge)
        )
        token = uuid.uuid5(NAMESPACE, f"{self.id.id}/{request_id}") if request_id else uuid.uuid4()
        lesson_id = f"{self.id.id}{LESSON_ID_SEPARATOR}{token.hex}"
        lesson = compose(
            choice,
            knowledge,
            learner_id=self.id.id,
            lesson_id=lesson_id,
            created_at=now,
            previous_lessons_on_topic=sum(entry["topic"] == choice.topic for entry in index),
            seed=zlib.crc32(lesson_id.encode()),
            request_id=request_id,
        )
        if source_note:
            lesson = lesson.model_copy(update={"rationale": f"{lesson.rationale} ({source_note})"})
        if getattr(self.settings, "lesson_generator", "builtin") == "llm":
            lesson = await self._written_by_model(lesson)
        document = lesson.model_dump(mode="json")
        summary = {key: document[key] for key in SUMMARY_FIELDS}
        await self._state_manager.set_state(lesson_key(lesson_id), document)
        await self._state_manager.set_state(INDEX_KEY, [summary, *index])
        if request_id:
            await self._state_manager.set_state(REQUESTS_KEY, {**requests, request_id: lesson_id})
        await self.stage_events(LESSON_EVENTS_TOPIC, [self._lesson_generated(document)])
        await self.commit_state()
        await self.flush_outbox()
        return document

    async def _written_by_model(self, draft: Lesson) -> Lesson:
        """The model's lesson if it answers in time with a valid one; else the built-in draft, saying why."""
        component = self.settings.conversation_component  # type: ignore[attr-defined]
        try:
            reply = await self.sidecar.converse(
                component,
                SYSTEM_PROMPT,
                user_prompt(draft, LESSON_SCHEMA),
                timeout_seconds=self.settings.llm_timeout_seconds,  # type: ignore[attr-defined]
            )
            return parse_reply(reply, draft, generator=f"llm:{component}")
        except (SidecarUnavailable, RuntimeError) as error:
            reason = f"model unavailable: {str(error)[:120]}"
        except ValueError as error:
            reason = f"model reply is not a valid lesson: {str(error).splitlines()[0][:120]}"
        log.warning("lesson %s: %s; using the built-in generator", draft.lesson_id, reason)
        return draft.model_copy(update={"generator": f"{BUILTIN} (fallback: {reason})"})

    async def _knowledge_or_fallback(self) -> tuple[LearnerKnowledge | None, str | None]:
        """Our own projection; else User Progress's status (service invocation); else nothing."""
        knowledge = await self._knowledge()
        if knowledge is not None:
            return knowledge, None
        try:
            response = await self.sidecar.invoke(
                USER_PROGRESS_APP_ID,
                "status",
                params={"learner_id": self.id.id},
                timeout_seconds=self.settings.sidecar_timeout_seconds,
            )
        except (SidecarUnavailable, SidecarRefused) as error:  # a lesson from the beginning beats no lesson
            log.warning("no knowledge of %s and user-progress unreachable: %s", self.id.id, error)
            return None, "learner progress unavailable: starting from the beginning"
        if response.status_code == 404:
            return None, "new learner: no progress recorded yet"
        if response.status_code != 200:
            return None, f"learner progress unavailable (user-progress answered {response.status_code})"
        return from_status(response.json()), "progress from user-progress"

    async def get_lesson(self, lesson_id: str) -> dict[str, Any] | None:
        found, document = await self._state_manager.try_get_state(lesson_key(lesson_id))
        return dict(document) if found else None

    async def list_lessons(self, query: dict[str, Any]) -> dict[str, Any]:
        """Newest first from the learner's index; ``cursor`` is the last lesson_id of the previous page."""
        found, index = await self._state_manager.try_get_state(INDEX_KEY)
        entries = [
            entry
            for entry in (index if found else [])
            if query.get("topic") in (None, entry["topic"]) and query.get("difficulty") in (None, entry["difficulty"])
        ]
        start = 0
        if query.get("cursor"):
            positions = [i for i, entry in enumerate(entries) if entry["lesson_id"] == query["cursor"]]
            if not positions:
                return {"items": [], "next_cursor": None, "unknown_cursor": True}
            start = positions[0] + 1
        page = entries[start : start + query["limit"]]
        more = start + query["limit"] < len(entries)
        return {"items": page, "next_cursor": page[-1]["lesson_id"] if more and page else None}

    def _lesson_generated(self, document: dict[str, Any]) -> CloudEvent:
        payload = LessonGeneratedV1(
            lesson_id=document["lesson_id"],
            learner_id=document["learner_id"],
            topic=document["topic"],
            difficulty=document["difficulty"],
            title=document["title"],
            rationale=document["rationale"],
            generator=document["generator"],
            created_at=document["created_at"],
        )
        event_id = uuid.uuid5(NAMESPACE, f"{document['lesson_id']}/{payload.EVENT_TYPE}")
        return CloudEvent.wrap(
            event_id=str(event_id), source=self.settings.app_id, payload=payload, subject=document["learner_id"]
        )
