"""The lesson feed behind GET /lessons without a learner filter (layout: course_agent.feed_index).

``LessonFeedActor`` (one per UTC day, id ``YYYY-MM-DD``) holds that day's minute buckets and
serialises the writes of the ``lesson-events`` consumer, which runs concurrently across partitions;
the first lesson of a day also lists the day in ``LessonFeedCatalogActor`` (id ``all``), before the
day's own write commits, so a day with lessons is always in the catalog (a redelivery repeats both,
each idempotent). A page walks the catalog's days back from the cursor and asks each day's actor for
its part of the page (:func:`feed_page`).

The first release kept the feed as plain state documents (key ``lesson-feed:<lesson_id>``, kind
``lesson-feed``) read through the state query API. :func:`import_legacy_feed` moves them into the
index: it runs on a replica's first feed read, queries a page of old documents, adds each to its day
(idempotent) and deletes it, until none is left; a replica that stops halfway leaves the rest for
the next one.
"""

from __future__ import annotations

import asyncio
import base64
import binascii
import json
import logging
from datetime import UTC, datetime
from typing import Any

from dapr.actor import ActorInterface, Remindable, actormethod

from course_agent import feed_index
from course_agent.adapters.actor_interface import (
    CATALOG_ADD_DAY,
    CATALOG_DAYS,
    FEED_ADD,
    FEED_PAGE,
    Added,
    FeedDayPage,
    FeedQuery,
    LessonFeedCatalog,
    LessonFeedDay,
)
from course_agent.feed_index import Position, day_of, position_of
from course_agent.layout import clipped
from learnflow_common.dapr import DaprSidecar
from learnflow_common.dapr.actors import SidecarActor
from learnflow_common.validation import LESSON_ID
from learnflow_common.vocabulary import Difficulty

#: Days a page may visit (with MAX_SCAN_PARTS: a page's cost is bounded whatever the filter).
MAX_DAYS_PER_PAGE = 4
LEGACY_FEED_KIND = "lesson-feed"
LEGACY_IMPORT_PAGE = 100
log = logging.getLogger(__name__)


class LessonFeedActions(ActorInterface):
    """The methods Dapr dispatches; their requests and answers are declared in ``actor_interface``."""

    @actormethod(name="Add")
    async def add(self, delivery: Any) -> Any: ...

    @actormethod(name="Page")
    async def page(self, query: Any) -> Any: ...


class LessonFeedActor(SidecarActor, LessonFeedActions, Remindable):  # Remindable must be a direct base for the SDK
    async def add(self, deliveries: Any) -> Any:
        """``deliveries``: ``lesson.generated.v1`` events of lessons of this day (one, or a bulk
        delivery's batch), each added through what the earlier ones staged; one transaction for all."""
        batch = FEED_ADD.request_of(deliveries)
        if await self.state_or_none(feed_index.MINUTES_KEY) is None:  # the day's first lessons
            await LessonFeedCatalog(self.sidecar).add_day(self.id.id)
        added: list[Added] = []
        async with self.staging():
            for delivery in batch:
                changes = await feed_index.add(self.reader, clipped(delivery.data))
                await self.stage_changes(changes)
                added.append(Added(added=bool(changes)))
            if any(answer.added for answer in added):
                await self.commit_state()
        return FEED_ADD.answer(added)

    async def page(self, query: Any) -> Any:
        asked = FEED_PAGE.request_of(query)
        found = await feed_index.day_page(
            self.reader, asked.before, asked.limit, asked.topic, asked.difficulty, asked.max_parts
        )
        return FEED_PAGE.answer(FeedDayPage(items=found.items, resume=found.resume, parts_read=found.parts_read))


class LessonFeedCatalogActions(ActorInterface):
    @actormethod(name="AddDay")
    async def add_day(self, day: Any) -> Any: ...

    @actormethod(name="Days")
    async def days(self, query: Any) -> Any: ...


class LessonFeedCatalogActor(SidecarActor, LessonFeedCatalogActions, Remindable):  # Remindable: see above
    async def add_day(self, day: Any) -> Any:
        changes = await feed_index.add_day(self.reader, CATALOG_ADD_DAY.request_of(day))
        if changes:
            await self.save_changes(changes)
        return CATALOG_ADD_DAY.answer(None)

    async def days(self, query: Any) -> Any:
        """Days with lessons, newest first."""
        asked = CATALOG_DAYS.request_of(query)
        return CATALOG_DAYS.answer(await feed_index.days_through(self.reader, asked.through, asked.count))


# ------------------------------------------------------------------------------------------ cursor
def encode_cursor(position: Position) -> str:
    """Opaque to clients: base64url of ``{"at": created_at, "id": lesson_id}`` (items strictly older)."""
    raw = json.dumps({"at": position[0].isoformat(), "id": position[1]}, separators=(",", ":"))
    return base64.urlsafe_b64encode(raw.encode()).decode()


def decode_cursor(cursor: str) -> Position | None:
    """The position in a cursor of ours; None for anything else (the API answers 422)."""
    try:
        raw = json.loads(base64.b64decode(cursor.encode("ascii"), altchars=b"-_", validate=True))
        at, lesson_id = raw["at"], raw["id"]
        if set(raw) != {"at", "id"} or not isinstance(at, str) or not isinstance(lesson_id, str):
            return None
        moment = datetime.fromisoformat(at)
    except (ValueError, binascii.Error, KeyError, TypeError, UnicodeError):
        return None
    if moment.tzinfo is None or (lesson_id and LESSON_ID.fullmatch(lesson_id) is None):
        return None
    return moment.astimezone(UTC), lesson_id


# -------------------------------------------------------------------------------------------- page
async def feed_page(
    sidecar: DaprSidecar, limit: int, cursor: Position | None, topic: str | None, difficulty: Difficulty | None
) -> dict[str, Any]:
    """One page of the feed, newest first: ``{"lessons", "next_cursor"}``."""
    through = day_of(cursor[0]) if cursor else None
    days = await LessonFeedCatalog(sidecar).days(through, MAX_DAYS_PER_PAGE + 1)
    items: list[dict[str, Any]] = []
    budget = feed_index.MAX_SCAN_PARTS
    for day in days[:MAX_DAYS_PER_PAGE]:
        before = cursor if cursor and day_of(cursor[0]) == day else None
        query = FeedQuery(before=before, limit=limit - len(items), topic=topic, difficulty=difficulty, max_parts=budget)
        found = await LessonFeedDay(sidecar, day).page(query)
        items += found.items
        budget -= found.parts_read
        if found.resume is not None:  # the page is full, or the scan budget spent, inside this day
            return {"lessons": items, "next_cursor": encode_cursor(found.resume)}
        older_days = days.index(day) + 1 < len(days)
        if len(items) == limit or budget <= 0:
            if not older_days:
                return {"lessons": items, "next_cursor": None}
            position = position_of(items[-1]) if len(items) == limit else _day_start(day)
            return {"lessons": items, "next_cursor": encode_cursor(position)}
    if len(days) > MAX_DAYS_PER_PAGE:  # more days than one page visits
        return {"lessons": items, "next_cursor": encode_cursor(_day_start(days[MAX_DAYS_PER_PAGE - 1]))}
    return {"lessons": items, "next_cursor": None}


def _day_start(day: str) -> Position:
    """A position before every item of ``day``: the next page goes on with the day before."""
    return datetime.fromisoformat(day).replace(tzinfo=UTC), ""


async def add_to_feed(sidecar: DaprSidecar, lesson: dict[str, Any]) -> None:
    await LessonFeedDay(sidecar, day_of(lesson["created_at"])).add(lesson)


# ---------------------------------------------------------------------------------------- migration
_legacy_imported = False
_legacy_lock = asyncio.Lock()


async def import_legacy_feed(sidecar: DaprSidecar, store: str) -> int:
    """Moves the first release's feed documents into the index (once per replica); returns how many."""
    global _legacy_imported
    if _legacy_imported:
        return 0
    async with _legacy_lock:
        moved = 0
        while not _legacy_imported:
            result = await sidecar.query_state(
                store, {"filter": {"EQ": {"kind": LEGACY_FEED_KIND}}, "page": {"limit": LEGACY_IMPORT_PAGE}}
            )
            documents = result.get("results") or []
            for document in documents:
                await add_to_feed(sidecar, {key: document["data"][key] for key in feed_index.FEED_FIELDS})
                await sidecar.delete_state(store, f"{LEGACY_FEED_KIND}:{document['data']['lesson_id']}")
            moved += len(documents)
            _legacy_imported = not documents
        if moved:
            log.info("lesson feed: %d document(s) of the first release moved into the index", moved)
        return moved
