"""LearnerPlanActor: one per learner (registered with placement).

It holds the agent's knowledge of the learner (folded from progress events), the learner's lessons
and their index, and it serialises generation for that learner, so two concurrent requests cannot
both claim the same "next" lesson. The actor is a thin shell: ``course_agent.layout`` says where
values live and what a lesson changes; the actor loads values, calls it, and saves the lesson, its
index entry, the meta and its ``lesson.generated`` event in one actor state transaction (outbox,
see learnflow_common.dapr.actors).
"""

from __future__ import annotations

import logging
import uuid
import zlib
from datetime import UTC, datetime
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod

from course_agent import layout
from course_agent.domain.generator import BUILTIN, choose, compose
from course_agent.domain.knowledge import LearnerKnowledge, apply_progress, from_status
from course_agent.domain.lesson import Lesson
from course_agent.domain.prompt import SYSTEM_PROMPT, parse_reply, user_prompt
from course_agent.layout import lesson_key
from course_agent.schemas import load_schema
from course_agent.settings import Settings
from learnflow_common.dapr import SidecarRefused, SidecarUnavailable
from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.events import LESSON_EVENTS_TOPIC, CloudEvent, LessonGeneratedV1, ProgressUpdatedV1
from learnflow_common.validation import LESSON_ID_SEPARATOR

KNOWLEDGE_KEY = "knowledge"
ACTOR_TYPE = "LearnerPlanActor"
NAMESPACE = uuid.UUID("0b7e3c0e-4a55-4f7a-9a3e-7d2f1c9e5b21")
USER_PROGRESS_APP_ID = "user-progress"
log = logging.getLogger(__name__)
LESSON_SCHEMA = load_schema()


def lesson_id_for(learner_id: str, request_id: str | None) -> str:
    """A request_id names its lesson for ever (idempotency without a map); without one, a fresh id."""
    token = uuid.uuid5(NAMESPACE, f"{learner_id}/{request_id}") if request_id else uuid.uuid4()
    return f"{learner_id}{LESSON_ID_SEPARATOR}{token.hex}"


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
    async def _meta(self) -> layout.Meta:
        """The learner's meta; a learner stored by the first release is converted first."""
        await self.convert(await layout.conversion(self.reader))
        return await layout.load_meta(self.reader)

    async def _knowledge(self) -> LearnerKnowledge | None:
        raw = await self.state_or_none(KNOWLEDGE_KEY)
        return LearnerKnowledge.from_dict(raw) if raw is not None else None

    async def apply_progress(self, delivery: dict[str, Any]) -> dict[str, Any]:
        """``delivery`` is ``{"event_id": <CloudEvent id>, "data": <progress.updated.v1 data>}``."""
        current = await self._knowledge()
        updated = apply_progress(current, delivery["event_id"], ProgressUpdatedV1.model_validate(delivery["data"]))
        if updated is not current:
            self.stage(KNOWLEDGE_KEY, updated.to_dict())
            await self.commit_state()
        return {"applied": updated is not current}

    async def get_knowledge(self) -> dict[str, Any] | None:
        found, raw = await self._state_manager.try_get_state(KNOWLEDGE_KEY)
        return raw if found else None

    async def generate_lesson(self, request: dict[str, Any]) -> dict[str, Any]:
        """``request``: ``{"topic", "difficulty", "request_id"}`` (each may be null) ->
        ``{"lesson", "replayed"}``: ``replayed`` when ``request_id`` had already made that lesson."""
        await self.flush_outbox()
        meta = await self._meta()
        request_id = request.get("request_id")
        lesson_id = lesson_id_for(self.id.id, request_id)
        if request_id and (existing := await self.state_or_none(lesson_key(lesson_id))) is not None:
            return {"lesson": dict(existing), "replayed": True}
        knowledge, source_note = await self._knowledge_or_fallback()
        now = datetime.now(UTC)
        choice = choose(
            knowledge, now, request.get("topic"), request.get("difficulty"), layout.planned_topics(meta, knowledge)
        )
        lesson = compose(
            choice,
            knowledge,
            learner_id=self.id.id,
            lesson_id=lesson_id,
            created_at=now,
            previous_lessons_on_topic=meta.lessons_on(choice.topic),
            seed=zlib.crc32(lesson_id.encode()),
            request_id=request_id,
        )
        if source_note:
            lesson = lesson.model_copy(update={"rationale": f"{lesson.rationale} ({source_note})"})
        if getattr(self.settings, "lesson_generator", "builtin") == "llm":
            lesson = await self._written_by_model(lesson)
        document = lesson.model_dump(mode="json")
        _, changes = await layout.add_lesson(self.reader, meta, document)
        await self.stage_changes(changes)
        await self.stage_events(LESSON_EVENTS_TOPIC, [self._lesson_generated(document)])
        await self.commit_state()
        await self.flush_outbox()
        return {"lesson": document, "replayed": False}

    async def _written_by_model(self, draft: Lesson) -> Lesson:
        """The model's lesson if it answers in time with a valid one; else the built-in draft, saying why."""
        settings = self.settings
        assert isinstance(settings, Settings), "course_agent.app binds this app's settings"
        component = settings.conversation_component
        try:
            reply = await self.sidecar.converse(
                component,
                SYSTEM_PROMPT,
                user_prompt(draft, LESSON_SCHEMA),
                timeout_seconds=settings.llm_timeout_seconds,
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
        document = await self.state_or_none(lesson_key(lesson_id))
        return dict(document) if document is not None else None

    async def list_lessons(self, query: dict[str, Any]) -> dict[str, Any]:
        """Newest first; ``cursor`` (a lesson seq, from the previous page) lists the older lessons.
        A cursor above the learner's lessons is not one of ours: ``unknown_cursor``."""
        meta = await self._meta()
        cursor = query.get("cursor")
        if cursor is not None and not 1 <= cursor <= meta.lessons:
            return {"items": [], "next_cursor": None, "unknown_cursor": True}
        found = await layout.page(
            self.reader, meta, query["limit"], cursor, query.get("topic"), query.get("difficulty")
        )
        return {"items": found.items, "next_cursor": found.next_cursor}

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
