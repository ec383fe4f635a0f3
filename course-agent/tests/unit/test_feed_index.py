"""The global feed's index: minute buckets per day, a catalog of days, keyset pages (no sidecar: the
actors' pure functions over in-memory stores, one per actor, routed as the sidecar routes calls)."""

from __future__ import annotations

import json
import random
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent import feed_index
from course_agent.adapters.actor_interface import CATALOG_ACTOR, CATALOG_DAYS, FEED_ACTOR, FEED_PAGE, FeedDayPage
from course_agent.adapters.feed import decode_cursor, encode_cursor, feed_page
from course_agent.feed_index import BUCKET_CAP, day_of, position_of
from course_agent.layout import clipped
from learnflow_common.memory import MemoryStore, run_in_memory

T0 = datetime(2026, 3, 1, 23, 58, tzinfo=UTC)
TOPICS = ("variables", "loops", "classes")
MAX_VALUE_BYTES = 256 * 1024


class Feed:
    """The feed's actors as in-memory stores, called the way the API calls them through the sidecar."""

    def __init__(self) -> None:
        self.stores: dict[tuple[str, str], MemoryStore] = {}

    def store(self, actor_type: str, actor_id: str) -> MemoryStore:
        return self.stores.setdefault((actor_type, actor_id), MemoryStore())

    def add(self, lesson: dict[str, Any]) -> None:
        """What LessonFeedActor.Add does: the catalog first, then the day."""
        day = self.store(FEED_ACTOR, day_of(lesson["created_at"]))
        changes = run_in_memory(feed_index.add(day, clipped(lesson)))
        if changes:
            catalog = self.store(CATALOG_ACTOR, "all")
            catalog.apply(run_in_memory(feed_index.add_day(catalog, day_of(lesson["created_at"]))))
            day.apply(changes)

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        store = self.store(actor_type, actor_id)
        data = json.loads(json.dumps(data))  # through the sidecar
        if method == CATALOG_DAYS.name:
            days = CATALOG_DAYS.request_of(data)
            return CATALOG_DAYS.answer(await feed_index.days_through(store, days.through, days.count))
        assert method == FEED_PAGE.name
        query = FEED_PAGE.request_of(data)
        found = await feed_index.day_page(
            store, query.before, query.limit, query.topic, query.difficulty, query.max_parts
        )
        answer = FeedDayPage(items=found.items, resume=found.resume, parts_read=found.parts_read)
        return json.loads(json.dumps(FEED_PAGE.answer(answer)))

    def page(self, limit: int, cursor: str | None, topic: str | None = None) -> dict[str, Any]:
        position = decode_cursor(cursor) if cursor else None
        return run_in_memory(feed_page(self, limit, position, topic, None))  # type: ignore[arg-type]

    def all_pages(self, limit: int, topic: str | None = None) -> tuple[list[dict[str, Any]], int]:
        listed, cursor, pages = [], None, 0
        while True:
            page = self.page(limit, cursor, topic)
            listed += page["lessons"]
            pages += 1
            if (cursor := page["next_cursor"]) is None:
                return listed, pages


def _lesson(n: int, minute: int, topic: str = "variables", second: float = 0.0, text: str = "") -> dict[str, Any]:
    return {
        "lesson_id": f"l{n % 7}~{n:032x}",
        "learner_id": f"l{n % 7}",
        "topic": topic,
        "difficulty": "beginner",
        "title": text or f"Lesson {n}",
        "rationale": text or "because",
        "generator": text or "builtin",
        "created_at": (T0 + timedelta(minutes=minute, seconds=second)).isoformat(),
    }


def reference(lessons: list[dict[str, Any]], topic: str | None = None) -> list[dict[str, Any]]:
    """The feed as one sorted list: distinct lessons, newest first by (created_at, lesson_id)."""
    distinct = {lesson["lesson_id"]: lesson for lesson in lessons if topic in (None, lesson["topic"])}
    return sorted(distinct.values(), key=position_of, reverse=True)


#: few minutes (some a day apart) for many lessons: busy minutes spill into parts; equal seconds tie
feeds = st.lists(
    st.tuples(st.sampled_from((0, 1, 2, 3, 2 * 24 * 60)), st.sampled_from(TOPICS), st.integers(0, 20)), max_size=400
).map(lambda drawn: [_lesson(n, minute, t, s) for n, (minute, t, s) in enumerate(drawn)])


@settings(max_examples=50, deadline=None)
@given(feeds, st.randoms(use_true_random=False), st.integers(1, 40), st.sampled_from((None, *TOPICS)))
def test_pages_list_every_lesson_once_newest_first_whatever_the_arrival_order(
    lessons: list[dict[str, Any]], rng: random.Random, limit: int, topic: str | None
) -> None:
    deliveries = lessons + rng.sample(lessons, len(lessons) // 3)  # with redeliveries
    rng.shuffle(deliveries)
    feed = Feed()
    for lesson in deliveries:
        feed.add(lesson)

    listed, _ = feed.all_pages(limit, topic)

    assert listed == reference(lessons, topic)


def test_a_busy_minute_spills_into_parts_each_within_the_cap() -> None:
    feed = Feed()
    lessons = [_lesson(n, 0, second=(n * 7919 % 6000) / 100) for n in range(5 * BUCKET_CAP + 3)]
    for lesson in lessons:
        feed.add(lesson)
    day = feed.store(FEED_ACTOR, day_of(T0))

    assert day.values["minutes"] == {"2358": 6}
    assert all(len(value) <= BUCKET_CAP for key, value in day.values.items() if key.startswith("bucket-"))
    assert feed.all_pages(17)[0] == reference(lessons)


@settings(max_examples=60, deadline=None)
@given(feeds, st.randoms(use_true_random=False), st.integers(0, 30))
def test_adding_at_the_end_of_the_last_part_stores_what_scanning_every_part_stores(
    lessons: list[dict[str, Any]], rng: random.Random, late: int
) -> None:
    """Lessons arrive mostly in order (the fast path), some late and some again (the reference's)."""
    deliveries = sorted(lessons, key=position_of)
    for _ in range(min(late, len(deliveries))):
        i, j = rng.randrange(len(deliveries)), rng.randrange(len(deliveries))
        deliveries[i], deliveries[j] = deliveries[j], deliveries[i]
    for lesson in rng.sample(lessons, len(lessons) // 4):
        deliveries.insert(rng.randrange(len(deliveries) + 1), lesson)
    fast, scanning = MemoryStore(), MemoryStore()
    for lesson in deliveries:
        summary = clipped(lesson)
        changes, expected = (
            run_in_memory(feed_index.add(fast, summary)),
            run_in_memory(feed_index.add_by_scanning(scanning, summary)),
        )
        assert bool(changes) == bool(expected)  # the actor answers whether it was added
        fast.apply(changes)
        scanning.apply(expected)

    assert fast.values == scanning.values


class CountedReads(MemoryStore):
    def __init__(self) -> None:
        super().__init__()
        self.reads: list[str] = []

    async def get(self, key: str) -> Any | None:
        self.reads.append(key)
        return await super().get(key)


def test_a_lesson_newer_than_its_busy_minute_reads_only_the_minutes_and_the_last_part() -> None:
    day = CountedReads()
    for n in range(5 * BUCKET_CAP + 3):
        day.apply(run_in_memory(feed_index.add(day, clipped(_lesson(n, 0, second=n / 10)))))
    day.reads.clear()

    changes = run_in_memory(feed_index.add(day, clipped(_lesson(999, 0, second=59.9))))

    assert day.reads == ["minutes", "bucket-2358.6"]
    assert set(changes) == {"bucket-2358.6"}  # in the minute's last part, which had room


@settings(max_examples=30, deadline=None)
@given(st.integers(0, 150), st.integers(1, 30), st.lists(st.integers(0, 8), min_size=1, max_size=6))
def test_lessons_added_between_pages_never_shift_the_items(start: int, limit: int, arrivals: list[int]) -> None:
    feed = Feed()
    existing = [_lesson(n, n // 3) for n in range(start)]
    for lesson in existing:
        feed.add(lesson)
    listed: list[dict[str, Any]] = []
    cursor, n = None, start
    for count in [*arrivals, *[0] * (start // limit + 2)]:
        page = feed.page(limit, cursor)
        listed += page["lessons"]
        for i in range(count):  # newer lessons, some in the minute being paged
            feed.add(_lesson(n + i, (n + i) // 3 if i % 2 else start // 3, second=59.5))
        n += count
        if (cursor := page["next_cursor"]) is None:
            break

    assert [item["lesson_id"] for item in listed] == [item["lesson_id"] for item in reference(existing)]


def test_a_rare_topic_gives_short_pages_with_a_cursor() -> None:
    feed = Feed()
    lessons = [_lesson(n, n // 40, "classes" if n == 0 else "loops") for n in range(40 * 60)]
    for lesson in lessons:
        feed.add(lesson)

    listed, pages = feed.all_pages(10, "classes")

    assert [item["lesson_id"] for item in listed] == [lessons[0]["lesson_id"]]
    assert pages > 1


def test_cursors_round_trip_and_anything_else_is_refused() -> None:
    position = position_of(_lesson(1, 0))

    assert decode_cursor(encode_cursor(position)) == position
    for bad in ("not-a-cursor", "eyJ0b2tlbiI6ICIxIn0=", encode_cursor((T0, "../etc")), "e30=", ""):
        assert decode_cursor(bad) is None


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def test_no_feed_value_passes_256_kb_with_50000_lessons() -> None:
    feed = Feed()
    lessons = [  # ~35 a minute for a day, then a burst of 2,000 in one minute
        _lesson(n, n // 35 if n < 48_000 else 24 * 60 + 5, TOPICS[n % 3], second=(n % 600) / 10) for n in range(50_000)
    ]
    for lesson in lessons:
        feed.add(lesson)

    sizes = [_size(value) for store in feed.stores.values() for value in store.values.values()]
    assert max(sizes) < MAX_VALUE_BYTES
    assert [item["lesson_id"] for item in feed.all_pages(100)[0]] == [item["lesson_id"] for item in reference(lessons)]


def test_a_part_of_the_longest_summaries_stays_under_256_kb() -> None:
    part = [clipped(_lesson(n, 0, text="🐍" * 10_000)) for n in range(BUCKET_CAP)]

    assert _size(part) < MAX_VALUE_BYTES
