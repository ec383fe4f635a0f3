"""GET /leaderboard: the weekly XP leaderboard (UTC ISO weeks)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Query

from learnflow_common.app import Sidecar, get_settings
from learnflow_common.auth import Caller
from learnflow_common.problems import invalid_field
from learnflow_common.validation import IsoWeek, LearnerId
from user_progress.adapters.leaderboard import week_standings
from user_progress.api.models import EARLIEST_DATE, LATEST_DATE, Leaderboard
from user_progress.domain.calendar import iso_week
from user_progress.domain.leaderboard import Entry
from user_progress.domain.pseudonyms import display_name
from user_progress.settings import Settings

router = APIRouter(tags=["leaderboard"])


@router.get("/leaderboard", response_model=Leaderboard, summary="Weekly XP leaderboard")
async def get_leaderboard(
    caller: Caller,
    sidecar: Sidecar,
    settings: Annotated[Settings, Depends(get_settings)],
    week: Annotated[IsoWeek | None, Query(description="e.g. 2026-W47; default: this week")] = None,
    limit: Annotated[int, Query(ge=1, le=100)] = 10,
    learner_id: Annotated[
        LearnerId | None, Query(description="also report this learner's rank; default: the calling learner")
    ] = None,
) -> Any:
    """Built from progress events, so it trails POST /update-progress by the event delivery time.

    Ranks are competition ranks (ties share a rank: 1, 2, 2, 4); equal XP is listed by learner id.
    Learners are shown by pseudonym; ``you`` marks the caller's own entry.
    """
    if week is not None:
        _check_week(week)
    if learner_id is not None:
        caller.require_learner(learner_id)
    elif not caller.is_privileged:
        learner_id = caller.subject
    week = week or iso_week(datetime.now(UTC))
    standings = await week_standings(sidecar, week, limit, learner_id)
    key = settings.pseudonym_key.get_secret_value().encode()

    def shown(entry: Entry) -> dict[str, Any]:
        you = entry.learner_id == caller.subject
        return {"rank": entry.rank, "display_name": display_name(entry.learner_id, key), "xp": entry.xp, "you": you}

    return {
        "week": week,
        "learners": standings.learners,
        "entries": [shown(entry) for entry in standings.entries],
        "learner": shown(standings.learner) if standings.learner is not None else None,
    }


def _check_week(week: str) -> None:
    """A week that exists (week 53 only in long ISO years) within the dates the service accepts."""
    try:
        monday = date.fromisocalendar(int(week[:4]), int(week[6:]), 1)
    except ValueError:
        raise invalid_field("week", f"{week} does not exist") from None
    if not EARLIEST_DATE <= monday <= LATEST_DATE:
        raise invalid_field("week", f"must be a week between {EARLIEST_DATE} and {LATEST_DATE}")
