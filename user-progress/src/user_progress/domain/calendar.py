"""Calendar days in the learner's own time zone.

Each event falls on the local date of the time zone in effect when it happened: the zone named by
that event, else the zone named by the latest earlier event that named one, else the UTC offset
written in the event's own ``completed_at``. This depends only on the event and the events before
it in time, never on later ones or on arrival order, so a folded state can date each event once,
and a late event can only re-date events after it. Travel works (events before and after a move
fall on their own local dates). Dates come from zoneinfo conversion, never from 86,400-second
arithmetic, so DST days of 23 or 25 hours are still one day.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import UTC, date, datetime, timedelta, timezone, tzinfo
from functools import cache, lru_cache
from zoneinfo import ZoneInfo, available_timezones

from user_progress.domain.events import LearningEvent

UTC_ZONE = "UTC"


#: In the zone database's folder but not zones a learner lives in: the host's own zone, the
#: template of POSIX rules, the "no zone" placeholder, and the leap-second / POSIX copies of the tree.
NOT_IANA_ZONES = frozenset({"localtime", "posixrules", "Factory"})
NOT_IANA_PREFIXES = ("right/", "posix/")


@cache
def iana_zones() -> frozenset[str]:
    return frozenset(
        name for name in available_timezones() if name not in NOT_IANA_ZONES and not name.startswith(NOT_IANA_PREFIXES)
    )


def is_iana_zone(name: str) -> bool:
    """An IANA zone name (``Europe/Berlin``, ``UTC``), not just any file zoneinfo can load."""
    return name in iana_zones()


@lru_cache(maxsize=512)
def zone(name: str) -> tzinfo:
    """An IANA zone, or a fixed offset written ``UTC+05:30`` (a learner who never named a zone)."""
    if name.startswith("UTC") and len(name) == 9:
        sign = -1 if name[3] == "-" else 1
        return timezone(sign * timedelta(hours=int(name[4:6]), minutes=int(name[7:9])))
    return ZoneInfo(name)


def offset_zone(moment: datetime) -> str:
    """The fixed-offset zone name of a timestamp as written: ``UTC`` or e.g. ``UTC-07:00``."""
    offset = moment.utcoffset() or timedelta(0)
    if not offset:
        return UTC_ZONE
    sign = "-" if offset < timedelta(0) else "+"
    minutes = abs(offset) // timedelta(minutes=1)
    return f"UTC{sign}{minutes // 60:02d}:{minutes % 60:02d}"


def zone_in_effect(event: LearningEvent, named_before: str | None) -> str:
    """The zone an event's local date is taken in, given the zone last named before it (if any)."""
    return event.timezone or named_before or offset_zone(event.completed_at)


def local_date(event: LearningEvent, named_before: str | None) -> date:
    return event.completed_at.astimezone(zone(zone_in_effect(event, named_before))).date()


def local_dates(events: Iterable[LearningEvent]) -> dict[str, date]:
    """event_id -> the local calendar date the event happened on (the reference: all events at once)."""
    named: str | None = None
    dates: dict[str, date] = {}
    for event in sorted(events, key=lambda event: event.sort_key):
        dates[event.event_id] = local_date(event, named)
        named = event.timezone or named
    return dates


def learner_timezone(events: Iterable[LearningEvent]) -> str:
    """The zone the learner last named (by event time), else the offset of their latest event, else UTC."""
    ordered = sorted(events, key=lambda event: event.sort_key)
    named = [event.timezone for event in ordered if event.timezone]
    if named:
        return named[-1]
    return offset_zone(ordered[-1].completed_at) if ordered else UTC_ZONE


def iso_week(moment: datetime) -> str:
    """The UTC ISO week of a moment, e.g. ``2026-W47``: the weekly leaderboard's period."""
    return week_of(moment.astimezone(UTC).date())


def week_of(day: date) -> str:
    """The ISO week of a (local) date, e.g. ``2026-W47``: a learner's own week runs Monday to
    Sunday in their zone (``status.weekly_xp`` and ``/statistics?period=week``)."""
    year, week, _ = day.isocalendar()
    return f"{year}-W{week:02d}"


def today_in(timezone_name: str, now: datetime) -> date:
    return now.astimezone(zone(timezone_name)).date()
