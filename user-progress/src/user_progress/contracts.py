"""The events a recorded learning event produces on ``progress-events`` (pure mapping to the contracts)."""

from __future__ import annotations

import uuid
from typing import Any

from learnflow_common.events import AchievementUnlockedV1, CloudEvent, ItemResultV1, ProgressUpdatedV1, StreakUpdatedV1
from user_progress.domain.achievements import Achievement
from user_progress.domain.calendar import iso_week
from user_progress.domain.events import LearningEvent
from user_progress.domain.fold import LearnerFold
from user_progress.domain.xp import event_xp, level_for

#: CloudEvent ids are derived from the learner, the source event and the type: a redelivery or a
#: re-publish from the outbox carries the same id, so consumers can deduplicate on it.
EVENT_ID_NAMESPACE = uuid.UUID("6f1c1f55-3f0e-4d7c-9a55-2f5d0f3c4a10")


def progress_events(
    event: LearningEvent,
    before: LearnerFold,
    after: LearnerFold,
    newly_unlocked: tuple[Achievement, ...],
    source: str,
) -> list[CloudEvent]:
    """``progress.updated`` always; ``achievement.unlocked`` per newly unlocked achievement;
    ``streak.updated`` when the current or longest streak changed."""
    learner, state = event.learner_id, after.state()
    topic = state.topics[event.topic]
    week = iso_week(event.completed_at)
    payloads: list[tuple[str, Any]] = [
        (
            "",
            ProgressUpdatedV1(
                learner_id=learner,
                source_event_id=event.event_id,
                activity=event.activity,
                topic=event.topic,
                score=event.score,
                duration_seconds=event.duration_seconds,
                hints_used=event.hints_used,
                lesson_id=event.lesson_id,
                items=[ItemResultV1(**item.to_dict()) for item in event.items] or None,
                completed_at=event.completed_at,
                events_recorded=after.events,
                xp_earned=event_xp(event),
                xp_total=state.xp,
                level=level_for(state.xp).level,
                topic_mastery=topic.mastery.score,
                topic_level=topic.mastery.level,
                topic_next_review_at=topic.card.due if topic.card else None,
                week=week,
                week_xp=after.week_xp.get(week, 0),
            ),
        )
    ]
    payloads += [
        (
            achievement.id,
            AchievementUnlockedV1(
                learner_id=learner,
                achievement_id=achievement.id,
                title=achievement.title,
                description=achievement.description,
                unlocked_at=state.unlocked[achievement.id],
                source_event_id=event.event_id,
            ),
        )
        for achievement in newly_unlocked
    ]
    previous = before.streak
    if (previous.current, previous.longest) != (state.streak.current, state.streak.longest):
        payloads.append(
            (
                "",
                StreakUpdatedV1(
                    learner_id=learner,
                    current=state.streak.current,
                    longest=state.streak.longest,
                    previous_current=previous.current,
                    previous_longest=previous.longest,
                    freezes_available=state.streak.freezes_available,
                    last_active_date=state.streak.last_active_date,
                    timezone=state.timezone,
                    source_event_id=event.event_id,
                ),
            )
        )
    return [
        CloudEvent.wrap(
            event_id=str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{learner}/{event.event_id}/{payload.EVENT_TYPE}/{key}")),
            source=source,
            payload=payload,
            subject=learner,
        )
        for key, payload in payloads
    ]
