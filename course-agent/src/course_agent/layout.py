"""How a learner's lessons are laid out in ``LearnerPlanActor`` state, and the change each lesson makes.

Every value is bounded, whatever the learner's history (each key is per learner actor):

===============  ==================================================================  ================
key              what                                                                bound
===============  ==================================================================  ================
``knowledge``    the projection of the learner's progress (domain/knowledge.py)      ~13 topics + 256
                 and the latest results of the items practised most recently         seqs + 128 x 5
                                                                                     item results
                                                                                     (< 80 KB)
``meta``         layout version, lessons generated (the last lesson seq), and per    ~13 topics (< 40 KB;
                 topic: lessons generated, the newest one's ``created_at`` and the   ~6 KB for the
                 item ids the latest RECENT_LESSONS_KEPT served (fresh items first)  built-in lessons)
``index-<k>``    the summaries of lesson seqs ``k*CHUNK .. k*CHUNK+CHUNK-1``, in     CHUNK summaries
                 seq order (a lesson's seq: 1, 2, ... in the order generated)        (< 200 KB)
``lesson:<id>``  one lesson document                                                 one lesson
``outbox``       events committed but not yet published (learnflow_common)           a few events
===============  ==================================================================  ================

A summary clips ``title``, ``rationale`` and ``generator`` (SUMMARY_CLIP characters), so a chunk
stays under 200 KB even for a model's longest answers; GET /lessons/{lesson_id} has them whole.

Idempotency needs no map: the lesson id of a request with ``request_id`` is
``uuid5(NAMESPACE, "<learner>/<request_id>")``, so the actor computes it and looks up
``lesson:<id>``. Lessons are never removed, so a request_id keeps answering with its lesson forever.

Paging (GET /lessons?learner_id=) walks seqs down from a cursor (a seq: "items with a lower seq"),
so lessons generated between two pages (higher seqs) never shift the items. With a filter a page
reads at most MAX_SCAN_CHUNKS chunks and may come back short, with a ``next_cursor`` when older
lessons remain to be scanned.

The functions here are pure apart from reading values through a :class:`Reader`; they return the
values to write, which the actor saves in one state transaction together with its outbox. The
first release's values (``lessons``: every summary in one list, ``requests``: request_id -> lesson
id) are converted on first touch by :func:`conversion`.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, Protocol

from course_agent.domain.knowledge import LearnerKnowledge

META_KEY = "meta"
#: The first release's values, converted on first touch.
LEGACY_INDEX_KEY = "lessons"
LEGACY_REQUESTS_KEY = "requests"
LAYOUT_VERSION = 2
CHUNK = 50
MAX_SCAN_CHUNKS = 8
#: What GET /lessons lists for each lesson (the full document is GET /lessons/{lesson_id}).
SUMMARY_FIELDS = ("lesson_id", "learner_id", "topic", "difficulty", "title", "rationale", "generator", "created_at")
#: Free-text summary fields and the characters kept of them (at most 4 bytes each in UTF-8).
SUMMARY_CLIP = {"title": 200, "rationale": 500, "generator": 200}
#: Index chunks written per conversion batch (each batch one state transaction).
CONVERSION_CHUNKS_PER_BATCH = 8
#: Per topic, the served item ids of this many latest lessons are kept, at most SERVED_ITEMS_KEPT a
#: lesson and none longer than SERVED_ID_MAX (a model's lesson may name anything): what the learner
#: has seen without answering yet, so the next lesson serves other items first.
RECENT_LESSONS_KEPT = 3
SERVED_ITEMS_KEPT = 12
SERVED_ID_MAX = 64


class Reader(Protocol):
    async def get(self, key: str) -> Any | None: ...


def index_key(seq: int) -> str:
    return f"index-{seq // CHUNK}"


def lesson_key(lesson_id: str) -> str:
    return f"lesson:{lesson_id}"


def clipped(document: Mapping[str, Any]) -> dict[str, Any]:
    """A lesson's listed fields, free text clipped (the index and the feed list these)."""
    summary = {key: document[key] for key in SUMMARY_FIELDS}
    for key, limit in SUMMARY_CLIP.items():
        if len(summary[key]) > limit:
            summary[key] = summary[key][: limit - 1] + "…"
    return summary


def summary_of(document: Mapping[str, Any], seq: int) -> dict[str, Any]:
    """The index entry of a lesson: its listed fields (free text clipped) and its seq."""
    return {**clipped(document), "seq": seq}


@dataclass(frozen=True)
class TopicLessons:
    count: int
    newest_at: datetime
    #: item ids served by the latest lessons on the topic, oldest lesson first
    recent: tuple[tuple[str, ...], ...] = ()


@dataclass(frozen=True)
class Meta:
    lessons: int = 0
    topics: dict[str, TopicLessons] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {
            "version": LAYOUT_VERSION,
            "lessons": self.lessons,
            "topics": {
                name: {
                    "count": topic.count,
                    "newest_at": topic.newest_at.isoformat(),
                    "recent": [list(lesson) for lesson in topic.recent],
                }
                for name, topic in sorted(self.topics.items())
            },
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> Meta:
        return cls(
            lessons=data["lessons"],
            topics={
                name: TopicLessons(
                    topic["count"],
                    datetime.fromisoformat(topic["newest_at"]),
                    tuple(tuple(lesson) for lesson in topic.get("recent", ())),  # none before they were kept
                )
                for name, topic in data["topics"].items()
            },
        )

    def with_lesson(self, topic: str, created_at: datetime, served: tuple[str, ...] = ()) -> Meta:
        """After one more lesson on ``topic`` that served the items ``served``."""
        known = self.topics.get(topic)
        kept = tuple(item_id for item_id in served if len(item_id) <= SERVED_ID_MAX)[:SERVED_ITEMS_KEPT]
        recent = (*known.recent, kept) if known else (kept,)
        counted = TopicLessons(
            (known.count if known else 0) + 1,
            max(known.newest_at, created_at) if known else created_at,
            recent[-RECENT_LESSONS_KEPT:] if kept else (known.recent if known else ()),
        )
        return Meta(self.lessons + 1, {**self.topics, topic: counted})

    def served(self) -> dict[str, tuple[tuple[str, ...], ...]]:
        """Per topic, the item ids of the latest lessons on it, oldest lesson first."""
        return {name: topic.recent for name, topic in self.topics.items() if topic.recent}

    def lessons_on(self, topic: str) -> int:
        known = self.topics.get(topic)
        return known.count if known else 0


def planned_topics(meta: Meta, knowledge: LearnerKnowledge | None) -> frozenset[str]:
    """The learner's plan: topics with a lesson generated after their last activity on the topic."""
    planned = set()
    for name, lessons in meta.topics.items():
        known = knowledge.topics.get(name) if knowledge else None
        last = known.last_activity_at if known else None
        if last is None or lessons.newest_at > last:
            planned.add(name)
    return frozenset(planned)


def known_cursor(meta: Meta, cursor: int | None) -> bool:
    """Whether a listing cursor (a seq) can come from this learner's lessons (None: the first page)."""
    return cursor is None or 1 <= cursor <= meta.lessons


# ----------------------------------------------------------------------------------------- reading
async def load_meta(reader: Reader) -> Meta:
    raw = await reader.get(META_KEY)
    return Meta.from_dict(raw) if raw else Meta()


@dataclass(frozen=True)
class Page:
    items: list[dict[str, Any]]
    next_cursor: int | None


async def page(
    reader: Reader,
    meta: Meta,
    limit: int,
    before: int | None = None,
    topic: str | None = None,
    difficulty: str | None = None,
) -> Page:
    """Lessons with a seq below ``before`` (all when None), newest first, at most ``limit``; reads at
    most MAX_SCAN_CHUNKS chunks. ``before`` must be in 1..meta.lessons + 1 (the caller checks)."""
    below = meta.lessons + 1 if before is None else before
    items: list[dict[str, Any]] = []
    seq = below - 1
    chunks = 0
    while seq >= 1 and chunks < MAX_SCAN_CHUNKS:
        chunk = await reader.get(index_key(seq)) or []
        chunks += 1
        for entry in reversed(chunk):
            if entry["seq"] > seq:
                continue
            if topic in (None, entry["topic"]) and difficulty in (None, entry["difficulty"]):
                if len(items) == limit:  # one more match: there is a next page
                    return Page([_listed(item) for item in items], items[-1]["seq"])
                items.append(entry)
        seq = (seq // CHUNK) * CHUNK - 1
        if len(items) == limit:
            break
    if seq >= 1 and (len(items) == limit or chunks >= MAX_SCAN_CHUNKS):
        return Page([_listed(item) for item in items], seq + 1)  # older chunks not scanned yet
    return Page([_listed(item) for item in items], None)


def _listed(entry: Mapping[str, Any]) -> dict[str, Any]:
    return {key: entry[key] for key in SUMMARY_FIELDS}


# ----------------------------------------------------------------------------------------- changes
async def add_lesson(reader: Reader, meta: Meta, document: Mapping[str, Any]) -> tuple[Meta, dict[str, Any]]:
    """A new lesson (not stored yet): the meta after it and the values to write."""
    seq = meta.lessons + 1
    chunk = list(await reader.get(index_key(seq)) or [])
    served = tuple(item["id"] for part in ("exercises", "quiz") for item in document.get(part, ()))
    after = meta.with_lesson(document["topic"], datetime.fromisoformat(document["created_at"]), served)
    return after, {
        lesson_key(document["lesson_id"]): dict(document),
        index_key(seq): [*chunk, summary_of(document, seq)],
        META_KEY: after.to_dict(),
    }


# --------------------------------------------------------------------------------------- conversion
async def conversion(reader: Reader) -> list[dict[str, Any]]:
    """The writes that bring a learner of the first release up to date, in batches (none when the
    learner is current or has no lessons). The old index (newest first) gets seqs from its oldest
    lesson; the last batch writes the meta and removes the old values, so a conversion cut short
    is redone. The ``requests`` map is dropped: every lesson id it names is the one computed from
    its request_id (see the module docstring)."""
    if await reader.get(META_KEY) is not None:
        return []
    legacy = await reader.get(LEGACY_INDEX_KEY)
    requests = await reader.get(LEGACY_REQUESTS_KEY)
    if legacy is None and requests is None:
        return []
    meta = Meta()
    chunks: dict[str, list[dict[str, Any]]] = {}
    for entry in reversed(legacy or []):
        meta = meta.with_lesson(entry["topic"], datetime.fromisoformat(entry["created_at"]))
        chunks.setdefault(index_key(meta.lessons), []).append(summary_of(entry, meta.lessons))
    batches: list[dict[str, Any]] = [{}]
    for key, chunk in chunks.items():
        if len(batches[-1]) >= CONVERSION_CHUNKS_PER_BATCH:
            batches.append({})
        batches[-1][key] = chunk
    batches.append({META_KEY: meta.to_dict(), LEGACY_INDEX_KEY: None, LEGACY_REQUESTS_KEY: None})
    return [batch for batch in batches if batch]
