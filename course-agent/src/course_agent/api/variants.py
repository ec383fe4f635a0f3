"""POST /variants: an operator asks the offline generator for new items of a topic level."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from pydantic import BaseModel, ConfigDict, Field

from course_agent.adapters.variants import VariantJob, VariantWorker
from course_agent.api.lessons import unknown_topic
from learnflow_common.auth import ADMIN_SCOPE, Caller
from learnflow_common.curriculum import TOPIC_SLUGS
from learnflow_common.problems import Problem
from learnflow_common.validation import LearnerId
from learnflow_common.vocabulary import Difficulty

router = APIRouter(tags=["variants"])


class VariantRequest(BaseModel):
    model_config = ConfigDict(
        extra="forbid",
        json_schema_extra={"examples": [{"topic": "loops", "difficulty": "beginner", "learner_id": "ada"}]},
    )

    topic: str = Field(description="Curriculum topic slug")
    difficulty: Difficulty
    learner_id: LearnerId | None = Field(default=None, description="Whose state (what they got wrong) to write for")
    guidance: str | None = Field(
        default=None, max_length=4_000, description="A note to the model, sent as the last message"
    )


class VariantQueued(BaseModel):
    queued: bool = Field(description="False when a job for this topic level is already waiting")


@router.post(
    "/variants",
    status_code=202,
    response_model=VariantQueued,
    summary="Ask the offline generator for new items of a topic level (operators)",
    responses={409: {"description": "the generator is off (LESSON_GENERATOR=builtin)"}},
)
async def ask_for_variants(body: VariantRequest, caller: Caller, request: Request) -> Any:
    """202 once queued: the model is asked later, and what it proposes reaches lessons only after
    verification (``learnflow_variants_total`` on ``/metrics`` counts each outcome)."""
    caller.require_scope(ADMIN_SCOPE, "Asking the generator for variants")
    if body.topic not in TOPIC_SLUGS:
        raise unknown_topic("topic", body.topic)
    worker: VariantWorker | None = request.app.state.variant_worker
    if worker is None:
        raise Problem(409, "generator-off", "Variant generator off", "The app runs with LESSON_GENERATOR=builtin.")
    job = VariantJob(body.topic, body.difficulty, learner_id=body.learner_id, guidance=body.guidance)
    return VariantQueued(queued=worker.submit(job, from_event=False))
