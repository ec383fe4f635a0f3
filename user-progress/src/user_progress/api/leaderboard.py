"""GET /leaderboard: the weekly XP leaderboard (UTC ISO weeks)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Query

from learnflow_common.validation import LearnerId
from user_progress.adapters.leaderboard import week_standings
from user_progress.api.models import Leaderboard
from user_progress.api.progress import Sidecar
from user_progress.domain.calendar import iso_week

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
    """Built from progress events, so it trails POST /update-progress by the event delivery time.

    Ranks are competition ranks (ties share a rank: 1, 2, 2, 4); equal XP is listed by learner id.
    """
    week = week or iso_week(datetime.now(UTC))
    standings = await week_standings(sidecar, week, limit, learner_id)
    return {"week": week, **standings.to_dict()}
