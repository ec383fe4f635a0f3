"""Where a learner stands at a given moment: the figures GET /status reports.

``now`` is an argument, never read from a clock here, so a status is reproducible.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from learnflow_common.vocabulary import PROFICIENT
from user_progress.domain.achievements import CATALOG
from user_progress.domain.calendar import today_in
from user_progress.domain.learner import LearnerState, TopicState
from user_progress.domain.mastery import Mastery, ceiling, missing_evidence
from user_progress.domain.streaks import streak_on
from user_progress.domain.xp import level_for


def learner_status(
    state: LearnerState,
    announced: Mapping[str, datetime],
    lessons_assigned: int,
    weekly_xp: int,
    now: datetime,
) -> dict[str, Any]:
    """``announced``: achievements already announced; ``weekly_xp``: XP of the learner's local ISO
    week of ``now``. Topic mastery is taken as of ``now``: its consistency is today's streak."""
    streak = streak_on(state.streak, today_in(state.timezone, now))
    level = level_for(state.xp)
    mastery = {name: topic.mastery.as_of(streak.current) for name, topic in state.topics.items()}
    due = sorted((topic.card.due, name) for name, topic in state.topics.items() if topic.card and topic.card.due <= now)
    recommended, reason = _recommendation(mastery, due)
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
        "topics": [_topic_view(topic, mastery[name]) for name, topic in sorted(state.topics.items())],
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


def _topic_view(topic: TopicState, mastery: Mastery) -> dict[str, Any]:
    missing = missing_evidence(topic.counts)
    return {
        "topic": topic.topic,
        "mastery": mastery.score,
        "level": mastery.level,
        "components": {
            "exercise": round(mastery.exercise, 4),
            "quiz": round(mastery.quiz, 4),
            "quality": round(mastery.quality, 4),
            "consistency": round(mastery.consistency, 4),
        },
        "missing_evidence": missing,
        "mastery_ceiling": ceiling(missing),
        "counts": topic.counts,
        "average_score": topic.average_score,
        "last_activity_at": topic.last_activity_at,
        "next_review_at": topic.card.due if topic.card else None,
    }


def _recommendation(mastery: Mapping[str, Mastery], due: list[tuple[datetime, str]]) -> tuple[str | None, str | None]:
    if due:
        return due[0][1], "review due (spaced repetition)"
    weak = [(value.score, name) for name, value in mastery.items() if value.score < PROFICIENT]
    if weak:
        score, name = min(weak)
        return name, f"mastery {score} is below Proficient"
    return None, None
