"""create_app(): the Course Agent FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from course_agent import __version__
from course_agent.adapters.actors import LearnerPlanActor
from course_agent.adapters.feed import LessonFeedActor, LessonFeedCatalogActor
from course_agent.adapters.variants import variant_generation
from course_agent.api import events, lessons, variants
from course_agent.content import curriculum
from course_agent.settings import Settings
from learnflow_common.app import create_dapr_app


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    curriculum()  # read and validated now: a broken content file stops the start, not a learner's request
    app = create_dapr_app(
        title="LearnFlow Course Agent",
        version=__version__,
        description="Generates personalized Python lessons from what it knows of each learner.",
        settings=settings,
        routers=[lessons.router, variants.router, events.router],
        actor_types=[LearnerPlanActor, LessonFeedActor, LessonFeedCatalogActor],
        required_components=(settings.state_store, settings.pubsub),
        background=variant_generation,
    )
    app.state.variant_worker = None  # until the lifespan starts one (LESSON_GENERATOR=llm)
    return app
