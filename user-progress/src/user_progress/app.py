"""create_app(): the User Progress FastAPI app."""

from __future__ import annotations

from fastapi import FastAPI

from learnflow_common.app import create_dapr_app
from user_progress import __version__
from user_progress.adapters.actors import LearnerProgressActor
from user_progress.adapters.leaderboard import LeaderboardActor
from user_progress.api import events, leaderboard, progress, reports
from user_progress.settings import Settings
from user_progress.status_answers import StatusAnswers


def create_app(settings: Settings | None = None) -> FastAPI:
    settings = settings or Settings()
    app = create_dapr_app(
        title="LearnFlow User Progress",
        version=__version__,
        description="Records learning events and reports where a learner stands.",
        settings=settings,
        routers=[progress.router, reports.router, leaderboard.router, events.router],
        actor_types=[LearnerProgressActor, LeaderboardActor],
        required_components=(settings.state_store, settings.pubsub),
    )
    app.state.status_answers = StatusAnswers(settings.status_answers_kept)
    return app
