"""Where a learner stands at a given moment: the figures GET /status reports.

``now`` is an argument, never read from a clock here, so a status is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from user_progress.domain.achievements import CATALOG
from user_progress.domain.calendar import iso_week, today_in
from user_progress.domain.learner import LearnerState
from user_progress.domain.streaks import streak_on
from user_progress.domain.xp import level_for

PROFICIENT = 71
__all__ = ["PROFICIENT", "achievements_view", "iso_week", "learner_status"]


def learner_status(
    state: LearnerState,
    announced: Mapping[str, datetime],
    lessons_assigned: int,
    weekly_xp: int,
    now: datetime,
) -> dict[str, Any]:
    """``announced``: achievements already announced; ``weekly_xp``: XP of the UTC week of ``now``."""
    streak = streak_on(state.streak, today_in(state.timezone, now))
    level = level_for(state.xp)
    due = sorted((topic.card.due, name) for name, topic in state.topics.items() if topic.card.due <= now)
    recommended, reason = _recommendation(state, due)
    return {
        "learner_id": state.learner_id,
        "timezone": state.timezone,
        "xp": state.xp,
        "level": level.level,
        "xp_into_level": level.xp_into_level,
        "xp_for_next_level": level.xp_for_next_level,
        "events_recorded": sum(state.activity_counts.values()),
        "activity_counts": state.activity_counts,
        "last_activity_at": state.last_activity_at,
        "streak": {
            "current": streak.current,
            "longest": streak.longest,
            "freezes_available": streak.freezes_available,
            "last_active_date": streak.last_active_date,
        },
        "topics": [
            {
                "topic": name,
                "mastery": topic.mastery.score,
                "level": topic.mastery.level,
                "components": {
                    "exercise": topic.mastery.exercise,
                    "quiz": topic.mastery.quiz,
                    "quality": topic.mastery.quality,
                    "consistency": topic.mastery.consistency,
                },
                "counts": topic.counts,
                "average_score": topic.average_score,
                "last_activity_at": topic.last_activity_at,
                "next_review_at": topic.card.due,
            }
            for name, topic in sorted(state.topics.items())
        ],
        "achievements": achievements_view(state, announced),
        "reviews_due": [{"topic": name, "due": when} for when, name in due],
        "recommended_topic": recommended,
        "recommendation_reason": reason,
        "lessons_assigned": lessons_assigned,
        "weekly_xp": weekly_xp,
    }


def achievements_view(state: LearnerState, announced: Mapping[str, datetime]) -> dict[str, list[dict[str, Any]]]:
    """Unlocked: what was announced (never taken back, even if a late event lowers a metric) and
    what the state unlocks; locked: progress toward the rest."""
    unlocked_at = {**state.unlocked, **announced}
    unlocked, locked = [], []
    for achievement in CATALOG:
        base = {"id": achievement.id, "title": achievement.title, "description": achievement.description}
        if achievement.id in unlocked_at:
            unlocked.append({**base, "unlocked_at": unlocked_at[achievement.id]})
        else:
            value = min(state.metrics[achievement.metric], achievement.threshold)
            locked.append(
                {
                    **base,
                    "progress": value,
                    "threshold": achievement.threshold,
                    "percent": round(100 * value / achievement.threshold),
                }
            )
    return {"unlocked": unlocked, "locked": locked}


def _recommendation(state: LearnerState, due: list[tuple[datetime, str]]) -> tuple[str | None, str | None]:
    if due:
        return due[0][1], "review due (spaced repetition)"
    weak = [topic for topic in state.topics.values() if topic.mastery.score < PROFICIENT]
    if weak:
        weakest = min(weak, key=lambda topic: (topic.mastery.score, topic.topic))
        return weakest.topic, f"mastery {weakest.mastery.score} is below Proficient"
    return None, None
