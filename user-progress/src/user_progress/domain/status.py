"""Where a learner stands at a given moment: the figures GET /status reports, and their one declaration.

``now`` is an argument, never read from a clock here, so a status is reproducible. The models below
are the response bodies of GET /status, POST /update-progress and GET /achievements (and the status
in an export): the API declares no shape of its own for them.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from datetime import date, datetime

from pydantic import BaseModel, ConfigDict, Field

from learnflow_common.vocabulary import PROFICIENT
from user_progress.domain.achievements import CATALOG
from user_progress.domain.calendar import today_in
from user_progress.domain.learner import LearnerState, TopicState
from user_progress.domain.mastery import Evidence, Mastery, ceiling, missing_evidence
from user_progress.domain.streaks import streak_on
from user_progress.domain.xp import level_for


class View(BaseModel):
    """A computed view: immutable once built."""

    model_config = ConfigDict(frozen=True)


class StreakView(View):
    current: int = Field(description="Consecutive active local days as of today (0 once broken)")
    longest: int
    freezes_available: int = Field(
        description="Days in a row the learner may miss now without breaking the streak (at most 2)"
    )
    last_active_date: date | None


class MasteryComponents(View):
    exercise: float
    quiz: float
    quality: float
    consistency: float = Field(description="The learner's current streak / 7, capped at 1, as of now")


class TopicView(View):
    topic: str
    mastery: int = Field(ge=0, le=100)
    level: str
    components: MasteryComponents
    missing_evidence: list[Evidence] = Field(
        description="Components with no evidence yet: they count 0 (the formula is not renormalised)"
    )
    mastery_ceiling: int = Field(
        ge=0,
        le=100,
        description="The highest mastery reachable until the missing evidence exists (40 quiz-only, 70 exercise-only)",
    )
    counts: dict[str, int]
    average_score: float | None = Field(description="Mean score of the graded attempts (lessons are not graded)")
    last_activity_at: datetime
    next_review_at: datetime | None = Field(description="FSRS due time; null until the first graded attempt")


class UnlockedAchievement(View):
    id: str
    title: str
    description: str
    unlocked_at: datetime


class LockedAchievement(View):
    id: str
    title: str
    description: str
    progress: int
    threshold: int
    percent: int


class Achievements(View):
    unlocked: list[UnlockedAchievement]
    locked: list[LockedAchievement]


class ReviewDue(View):
    topic: str
    due: datetime


class LearnerStatus(View):
    learner_id: str
    timezone: str
    xp: int
    level: int
    xp_into_level: int
    xp_for_next_level: int
    events_recorded: int
    activity_counts: dict[str, int]
    last_activity_at: datetime | None
    streak: StreakView
    topics: list[TopicView]
    achievements: Achievements
    reviews_due: list[ReviewDue]
    recommended_topic: str | None
    recommendation_reason: str | None
    lessons_assigned: int
    weekly_xp: int = Field(
        description="XP earned in the learner's current local ISO week (Monday to Sunday in their zone)"
    )


#: What of the clock a learner's status depends on: see :func:`status_moment`.
StatusMoment = tuple[date, datetime | None]


def status_moment(timezone: str, reviews: Iterable[datetime], now: datetime) -> StatusMoment:
    """The learner's local date of ``now`` (their streak, mastery's consistency, the week's XP) and
    the first of their ``reviews`` (:func:`review_times`) due after ``now`` (which are due, and so
    the recommendation): the only things of ``now`` that :func:`learner_status` reads. Two instants
    with the same moment give the same status of one state, so an answer computed at one may be
    sent again at the other."""
    return today_in(timezone, now), min((due for due in reviews if due > now), default=None)


def review_times(state: LearnerState) -> tuple[datetime, ...]:
    """When each of the learner's topics falls due for review."""
    return tuple(topic.card.due for topic in state.topics.values() if topic.card)


def learner_status(
    state: LearnerState,
    announced: Mapping[str, datetime],
    lessons_assigned: int,
    weekly_xp: int,
    now: datetime,
) -> LearnerStatus:
    """``announced``: achievements already announced; ``weekly_xp``: XP of the learner's local ISO
    week of ``now``. Topic mastery is taken as of ``now``: its consistency is today's streak."""
    streak = streak_on(state.streak, today_in(state.timezone, now))
    level = level_for(state.xp)
    mastery = {name: topic.mastery.as_of(streak.current) for name, topic in state.topics.items()}
    due = sorted((topic.card.due, name) for name, topic in state.topics.items() if topic.card and topic.card.due <= now)
    recommended, reason = _recommendation(mastery, due)
    return LearnerStatus(
        learner_id=state.learner_id,
        timezone=state.timezone,
        xp=state.xp,
        level=level.level,
        xp_into_level=level.xp_into_level,
        xp_for_next_level=level.xp_for_next_level,
        events_recorded=sum(state.activity_counts.values()),
        activity_counts=state.activity_counts,
        last_activity_at=state.last_activity_at,
        streak=StreakView(
            current=streak.current,
            longest=streak.longest,
            freezes_available=streak.freezes_available,
            last_active_date=streak.last_active_date,
        ),
        topics=[_topic_view(topic, mastery[name]) for name, topic in sorted(state.topics.items())],
        achievements=achievements_view(state, announced),
        reviews_due=[ReviewDue(topic=name, due=when) for when, name in due],
        recommended_topic=recommended,
        recommendation_reason=reason,
        lessons_assigned=lessons_assigned,
        weekly_xp=weekly_xp,
    )


def achievements_view(state: LearnerState, announced: Mapping[str, datetime]) -> Achievements:
    """Unlocked: what was announced (never taken back, even if a late event lowers a metric) and
    what the state unlocks; locked: progress toward the rest."""
    unlocked_at = {**state.unlocked, **announced}
    unlocked, locked = [], []
    for achievement in CATALOG:
        named = {"id": achievement.id, "title": achievement.title, "description": achievement.description}
        if achievement.id in unlocked_at:
            unlocked.append(UnlockedAchievement(**named, unlocked_at=unlocked_at[achievement.id]))
        else:
            value = min(state.metrics[achievement.metric], achievement.threshold)
            percent = round(100 * value / achievement.threshold)
            locked.append(LockedAchievement(**named, progress=value, threshold=achievement.threshold, percent=percent))
    return Achievements(unlocked=unlocked, locked=locked)


def _topic_view(topic: TopicState, mastery: Mastery) -> TopicView:
    missing = missing_evidence(topic.counts)
    return TopicView(
        topic=topic.topic,
        mastery=mastery.score,
        level=mastery.level,
        components=MasteryComponents(
            exercise=round(mastery.exercise, 4),
            quiz=round(mastery.quiz, 4),
            quality=round(mastery.quality, 4),
            consistency=round(mastery.consistency, 4),
        ),
        missing_evidence=missing,
        mastery_ceiling=ceiling(missing),
        counts=topic.counts,
        average_score=topic.average_score,
        last_activity_at=topic.last_activity_at,
        next_review_at=topic.card.due if topic.card else None,
    )


def _recommendation(mastery: Mapping[str, Mastery], due: list[tuple[datetime, str]]) -> tuple[str | None, str | None]:
    if due:
        return due[0][1], "review due (spaced repetition)"
    weak = [(value.score, name) for name, value in mastery.items() if value.score < PROFICIENT]
    if weak:
        score, name = min(weak)
        return name, f"mastery {score} is below Proficient"
    return None, None
