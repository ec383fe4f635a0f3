"""The global lesson feed (GET /lessons without ``learner_id``): an index built for paging newest first.

Layout, every value bounded (actor state; one ``LessonFeedActor`` per UTC day, id ``YYYY-MM-DD``,
and one ``LessonFeedCatalogActor``, id ``all``):

=========================  ============================================================  ===============
key                        what                                                          bound
=========================  ============================================================  ===============
day ``minutes``            the day's non-empty UTC minutes (``HHMM``) -> parts of each    1,440 minutes
                                                                                         (< 20 KB)
day ``bucket-HHMM[.p]``    part p (1, 2, ...) of a minute's lesson summaries, oldest      BUCKET_CAP
                           first by (created_at, lesson_id); parts of a minute in order   summaries
                                                                                         (< 200 KB)
catalog ``months``         the months (``YYYY-MM``) that have lessons                    12 a year
catalog ``days-YYYY-MM``   the days of a month that have lessons                         31 days
=========================  ============================================================  ===============

Writes come from the ``lesson-events`` consumer, concurrently across partitions; the day's actor
serialises them, and adding a lesson is idempotent on lesson_id (a redelivery finds it in its
minute). A minute holds BUCKET_CAP summaries a part; if more arrive in one minute they spill into
parts 2, 3, ... (a summary arriving late moves the newest of its part up one part).

Paging is keyset: a position is (created_at, lesson_id); a page lists items strictly older than the
cursor's position, newest first, walking back minute by minute and day by day through the indexes,
so a page costs the same whatever the feed's size, and lessons added meanwhile (newer, or in a
minute already paged) never shift it. A page reads at most MAX_SCAN_PARTS parts with items older
than its cursor (plus, in a minute that overflowed, the parts of that minute newer than the cursor):
with a rare filter it may come back short (or empty) with a ``next_cursor`` to continue from.

The functions here are pure apart from reading values through a ``Reader``; they return the values
to write, which the actor saves in one state transaction.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any, Protocol

MINUTES_KEY = "minutes"
MONTHS_KEY = "months"
BUCKET_CAP = 50
MAX_SCAN_PARTS = 12
FEED_FIELDS = ("lesson_id", "learner_id", "topic", "difficulty", "title", "rationale", "generator", "created_at")

Position = tuple[datetime, str]


class Reader(Protocol):
    async def get(self, key: str) -> Any | None: ...


def as_utc(value: str | datetime) -> datetime:
    moment = datetime.fromisoformat(value) if isinstance(value, str) else value
    return moment.astimezone(UTC)


def day_of(created_at: str | datetime) -> str:
    return as_utc(created_at).date().isoformat()


def minute_of(created_at: str | datetime) -> str:
    return as_utc(created_at).strftime("%H%M")


def part_key(minute: str, part: int) -> str:
    return f"bucket-{minute}" if part == 1 else f"bucket-{minute}.{part}"


def days_key(month: str) -> str:
    return f"days-{month}"


def position_of(item: Mapping[str, Any]) -> Position:
    return as_utc(item["created_at"]), item["lesson_id"]


# ----------------------------------------------------------------------------------- a day's index
async def add(reader: Reader, summary: Mapping[str, Any]) -> dict[str, Any]:
    """The values to write to add a lesson to its day (none when it is there already).

    A lesson is nearly always the newest of its minute: it then goes at the end of the minute's last
    part (or into a new part after it, when that one is full), and only that part is read - a busy
    minute holds many parts, and reading, copying and scanning all of them for every lesson made an
    Add cost more the busier the minute. A lesson that is not the newest (a late or redelivered one:
    a redelivery has the position it had) is added by :func:`add_by_scanning`, the reference."""
    minute = minute_of(summary["created_at"])
    minutes: dict[str, int] = dict(await reader.get(MINUTES_KEY) or {})
    count = minutes.get(minute, 0)
    if count:
        last = await reader.get(part_key(minute, count)) or []
        item = {key: summary[key] for key in FEED_FIELDS}
        if last and position_of(item) > position_of(last[-1]):
            if len(last) < BUCKET_CAP:  # the minutes are as they were: not written again (up to 20 KB)
                return {part_key(minute, count): [*last, item]}
            minutes[minute] = count + 1
            return {part_key(minute, count + 1): [item], MINUTES_KEY: dict(sorted(minutes.items()))}
    return await add_by_scanning(reader, summary)


async def add_by_scanning(reader: Reader, summary: Mapping[str, Any]) -> dict[str, Any]:
    """:func:`add` the obvious way, for any lesson: every part of the minute read and scanned for
    the lesson, the lesson sorted into its part, a full part passing its newest item up."""
    minute = minute_of(summary["created_at"])
    minutes: dict[str, int] = dict(await reader.get(MINUTES_KEY) or {})
    parts = [list(await reader.get(part_key(minute, p)) or []) for p in range(1, minutes.get(minute, 0) + 1)]
    if any(item["lesson_id"] == summary["lesson_id"] for part in parts for item in part):
        return {}
    item = {key: summary[key] for key in FEED_FIELDS}
    position = position_of(item)
    at = next((p for p, part in enumerate(parts) if part and position < position_of(part[-1])), len(parts) - 1)
    if at < 0:
        parts, at = [[]], 0
    parts[at] = sorted([*parts[at], item], key=position_of)
    changes: dict[str, Any] = {}
    p = at
    while True:  # a part over the cap passes its newest item up to the next part
        overflow = len(parts[p]) > BUCKET_CAP
        if overflow:
            if p + 1 == len(parts):
                parts.append([])
            parts[p + 1].insert(0, parts[p].pop())
        changes[part_key(minute, p + 1)] = parts[p]
        if not overflow:
            break
        p += 1
    minutes[minute] = len(parts)
    changes[MINUTES_KEY] = dict(sorted(minutes.items()))
    return changes


@dataclass(frozen=True)
class DayPage:
    items: list[dict[str, Any]]
    #: where to go on within the day (items strictly older than it), or None: nothing more in the day
    resume: Position | None
    parts_read: int


async def day_page(
    reader: Reader,
    before: Position | None,
    limit: int,
    topic: str | None = None,
    difficulty: str | None = None,
    max_parts: int = MAX_SCAN_PARTS,
) -> DayPage:
    """A day's items strictly older than ``before`` (all when None), newest first, at most ``limit``."""
    minutes: dict[str, int] = await reader.get(MINUTES_KEY) or {}
    start = minute_of(before[0]) if before else "9999"
    items: list[dict[str, Any]] = []
    read = 0
    oldest_read: Position | None = before
    for minute in sorted((m for m in minutes if m <= start), reverse=True):
        for p in range(minutes[minute], 0, -1):
            if read == max_parts:
                resume = position_of(items[-1]) if len(items) == limit else oldest_read
                return DayPage(items, resume, read)
            part = await reader.get(part_key(minute, p)) or []
            if before is not None and part and position_of(part[0]) >= before:
                continue  # all of it is newer than the cursor: not counted (only in the cursor's minute)
            read += 1
            for item in reversed(part):
                if before is not None and position_of(item) >= before:
                    continue
                if topic in (None, item["topic"]) and difficulty in (None, item["difficulty"]):
                    if len(items) == limit:  # one more: the page is full and the day goes on
                        return DayPage(items, position_of(items[-1]), read)
                    items.append(dict(item))
            if part:
                oldest_read = min(position_of(part[0]), before) if before else position_of(part[0])
    return DayPage(items, None, read)


# ---------------------------------------------------------------------------------------- catalog
async def add_day(reader: Reader, day: str) -> dict[str, Any]:
    """The values to write so the catalog lists ``day`` (none when it does)."""
    month = day[:7]
    days = list(await reader.get(days_key(month)) or [])
    if day in days:
        return {}
    months = list(await reader.get(MONTHS_KEY) or [])
    changes: dict[str, Any] = {days_key(month): sorted({*days, day})}
    if month not in months:
        changes[MONTHS_KEY] = sorted({*months, month})
    return changes


async def days_through(reader: Reader, through: str | None, count: int) -> list[str]:
    """Up to ``count`` days with lessons, newest first, from ``through`` (inclusive) back."""
    months = await reader.get(MONTHS_KEY) or []
    found: list[str] = []
    for month in reversed(months):
        if through is not None and month > through[:7]:
            continue
        days = await reader.get(days_key(month)) or []
        found += [day for day in reversed(days) if through is None or day <= through]
        if len(found) >= count:
            break
    return found[:count]
