"""Calendar days in the learner's own time zone.

Each event falls on the local date of the time zone in effect when it happened: the zone named by
that event, else by the latest earlier event that named one, else by the first later one, else UTC.
This depends only on the set of events, not on the order they arrived in, and handles travel
(events before and after a move fall on their own local dates). Dates come from zoneinfo
conversion, never from 86,400-second arithmetic, so DST days of 23 or 25 hours are still one day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from functools import lru_cache
from zoneinfo import ZoneInfo

from user_progress.domain.events import LearningEvent

UTC_ZONE = "UTC"


@lru_cache(maxsize=512)
def zone(name: str) -> ZoneInfo:
    return ZoneInfo(name)


def local_dates(events: Iterable[LearningEvent]) -> dict[str, date]:
    """event_id -> the local calendar date the event happened on."""
    ordered = sorted(events, key=lambda event: event.sort_key)
    in_effect = next((event.timezone for event in ordered if event.timezone), UTC_ZONE)
    dates: dict[str, date] = {}
    for event in ordered:
        in_effect = event.timezone or in_effect
        dates[event.event_id] = event.completed_at.astimezone(zone(in_effect)).date()
    return dates


def learner_timezone(events: Iterable[LearningEvent]) -> str:
    """The zone the learner last told us about (by event time), else UTC."""
    named = [event for event in events if event.timezone]
    if not named:
        return UTC_ZONE
    return max(named, key=lambda event: event.sort_key).timezone or UTC_ZONE


def today_in(timezone: str, now: datetime) -> date:
    return now.astimezone(zone(timezone)).date()
