"""LearnerPlanActor: one per learner (registered with placement).

It holds the learner's lessons and their index, and it serialises generation for that learner, so
two concurrent requests cannot both claim the same "next" lesson. The agent's knowledge of the
learner (folded from progress events) is on a plain key that the progress consumer writes
(``adapters/knowledge``); the actor creates that key, for a learner who has none yet.

The actor is a thin shell: ``course_agent.layout`` says where values live and what a lesson changes,
``course_agent.planning`` decides the lesson and its event; the actor loads values (the accepted
variants of the chosen topic among them), calls them, and saves the lesson, its index entry, the
meta and its ``lesson.generated`` event in one actor state transaction (outbox, see
learnflow_common.dapr.actors).
Its methods' requests and answers are declared in ``course_agent.adapters.actor_interface``.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod

from course_agent import layout, planning
from course_agent.adapters.actor_interface import (
    APPLY_PROGRESS,
    GENERATE_LESSON,
    GET_KNOWLEDGE,
    GET_LESSON,
    LIST_LESSONS,
    Applied,
    GeneratedLesson,
    LessonList,
)
from course_agent.adapters.knowledge import fold_as_owner, stored_knowledge
from course_agent.adapters.variants import load_banks
from course_agent.content import curriculum
from course_agent.domain.knowledge import LearnerKnowledge
from course_agent.domain.variants import curriculum_with_variants
from course_agent.layout import lesson_key
from learnflow_common.dapr import SidecarRefused, SidecarUnavailable
from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.events import LESSON_EVENTS_TOPIC, ProgressUpdatedV1
from learnflow_common.vocabulary import DIFFICULTIES

#: Where a release before kept the learner's knowledge, in the actor's state: read, never written.
ACTOR_KNOWLEDGE_KEY = "knowledge"
USER_PROGRESS_APP_ID = "user-progress"
log = logging.getLogger(__name__)


class LearnerPlanActions(ActorInterface):
    """The methods Dapr dispatches; their requests and answers are declared in ``actor_interface``."""

    @actormethod(name="ApplyProgress")
    async def apply_progress(self, deliveries: Any) -> Any: ...

    @actormethod(name="GetKnowledge")
    async def get_knowledge(self) -> Any: ...

    @actormethod(name="GenerateLesson")
    async def generate_lesson(self, request: Any) -> Any: ...

    @actormethod(name="GetLesson")
    async def get_lesson(self, lesson_id: Any) -> Any: ...

    @actormethod(name="ListLessons")
    async def list_lessons(self, query: Any) -> Any: ...


class LearnerPlanActor(SidecarActor, LearnerPlanActions, Remindable):  # Remindable must be a direct base for the SDK
    async def _meta(self) -> layout.Meta:
        """The learner's meta; a learner stored by the first release is converted first."""
        await self.convert(await layout.conversion(self.reader))
        return await layout.load_meta(self.reader)

    async def _knowledge(self) -> LearnerKnowledge | None:
        """The learner's knowledge: from its key, else what a release before kept in this actor's state."""
        knowledge = await stored_knowledge(self.sidecar, self.settings.state_store, self.id.id)
        return knowledge if knowledge is not None else await self._knowledge_kept_before()

    async def _knowledge_kept_before(self) -> LearnerKnowledge | None:
        raw = await self.state_or_none(ACTOR_KNOWLEDGE_KEY)
        return LearnerKnowledge.from_dict(raw) if raw is not None else None

    async def apply_progress(self, deliveries: Any) -> Any:
        """``deliveries``: the learner's progress events, oldest first (one, or a bulk delivery's
        batch), folded in turn into the learner's knowledge, whose key this creates if it has none
        (``adapters/knowledge``: the consumer asks the actor only then)."""
        events = [
            (received.event_id, ProgressUpdatedV1.model_validate(received.data))
            for received in APPLY_PROGRESS.request_of(deliveries)
        ]
        applied = await fold_as_owner(
            self.sidecar, self.settings.state_store, self.id.id, events, self._knowledge_kept_before
        )
        return APPLY_PROGRESS.answer([Applied(applied=flag) for flag in applied])

    async def get_knowledge(self) -> Any:
        return GET_KNOWLEDGE.answer(await self._knowledge())

    async def generate_lesson(self, request: Any) -> Any:
        asked = GENERATE_LESSON.request_of(request)
        await self.flush_outbox()
        meta = await self._meta()
        lesson_id = planning.lesson_id_for(self.id.id, asked.request_id)
        if asked.request_id and (existing := await self.state_or_none(lesson_key(lesson_id))) is not None:
            return GENERATE_LESSON.answer(GeneratedLesson(lesson=existing, replayed=True))
        knowledge, source_note = await self._knowledge_or_fallback()
        now = datetime.now(UTC)
        choice = planning.choice_for(
            knowledge=knowledge, meta=meta, now=now, topic=asked.topic, difficulty=asked.difficulty
        )
        variants = await load_banks(self.sidecar, self.settings.state_store, choice.topic, DIFFICULTIES)
        lesson = planning.draft_lesson(
            bank=curriculum_with_variants(curriculum(), variants),
            choice=choice,
            learner_id=self.id.id,
            lesson_id=lesson_id,
            knowledge=knowledge,
            meta=meta,
            now=now,
            request_id=asked.request_id,
            source_note=source_note,
        )
        _, changes = await layout.add_lesson(self.reader, meta, lesson.model_dump(mode="json"))
        await self.stage_changes(changes)
        await self.stage_events(LESSON_EVENTS_TOPIC, [planning.lesson_generated(lesson, self.settings.app_id)])
        await self.commit_state()
        await self.publish_after_answer()
        return GENERATE_LESSON.answer(GeneratedLesson(lesson=lesson, replayed=False))

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
            return None, planning.PROGRESS_UNREACHABLE
        return planning.knowledge_from_progress(
            response.status_code, response.json() if response.status_code == 200 else None
        )

    async def get_lesson(self, lesson_id: Any) -> Any:
        document = await self.state_or_none(lesson_key(GET_LESSON.request_of(lesson_id)))
        return GET_LESSON.answer(dict(document) if document is not None else None)

    async def list_lessons(self, query: Any) -> Any:
        """Newest first; a cursor above the learner's lessons is not one of ours: ``unknown_cursor``."""
        asked = LIST_LESSONS.request_of(query)
        meta = await self._meta()
        if not layout.known_cursor(meta, asked.cursor):
            return LIST_LESSONS.answer(LessonList(items=[], unknown_cursor=True))
        found = await layout.page(self.reader, meta, asked.limit, asked.cursor, asked.topic, asked.difficulty)
        return LIST_LESSONS.answer(LessonList(items=found.items, next_cursor=found.next_cursor))
