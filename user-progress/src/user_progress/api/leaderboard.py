"""GET /leaderboard: the weekly XP leaderboard (UTC ISO weeks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from learnflow_common.validation import LearnerId
from user_progress.adapters.actors import LEADERBOARD_ACTOR
from user_progress.api.models import Leaderboard
from user_progress.api.progress import Sidecar
from user_progress.domain.status import iso_week

router = APIRouter(tags=["leaderboard"])


@router.get("/leaderboard", response_model=Leaderboard, summary="Weekly XP leaderboard")
async def get_leaderboard(
    sidecar: Sidecar,
    week: Annotated[
        str | None, Query(pattern=r"^\d{4}-W\d{2}$", description="e.g. 2026-W47; default: this week")
    ] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    learner_id: Annotated[LearnerId | None, Query(description="also report this learner's rank")] = None,
) -> Any:
    """Built from progress events, so it trails POST /update-progress by the event delivery time."""
    week = week or iso_week(datetime.now(UTC))
    standings = await sidecar.invoke_actor(
        LEADERBOARD_ACTOR, week, "Standings", {"limit": limit, "learner_id": learner_id}
    )
    return {"week": week, **standings}
