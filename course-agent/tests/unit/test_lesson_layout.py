"""A learner's lessons in bounded values: index chunks, meta, paging, conversion (no sidecar: the
layout's coroutines are driven over an in-memory store)."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from hypothesis import given, settings
from hypothesis import strategies as st

from course_agent import layout
from course_agent.domain.knowledge import LearnerKnowledge, TopicKnowledge, apply_progress
from course_agent.layout import CHUNK, MAX_SCAN_CHUNKS, Meta
from learnflow_common.curriculum import TOPIC_SLUGS as PLATFORM_TOPIC_SLUGS
from learnflow_common.events import ProgressUpdatedV1
from learnflow_common.memory import MemoryStore, run_in_memory
from learnflow_common.vocabulary import DIFFICULTIES

T0 = datetime(2026, 1, 1, tzinfo=UTC)
TOPICS = ("variables", "loops", "classes")
MAX_VALUE_BYTES = 256 * 1024


def _document(n: int, topic: str = "variables", difficulty: str = "beginner", text: str = "") -> dict[str, Any]:
    return {
        "lesson_id": f"ada~{n:032x}",
        "learner_id": "ada",
        "topic": topic,
        "difficulty": difficulty,
        "title": text or f"Lesson {n}",
        "rationale": text or "because",
        "generator": text or "builtin",
        "created_at": (T0 + timedelta(minutes=n)).isoformat(),
        "sections": [],
    }


def _generate(store: MemoryStore, documents: list[dict[str, Any]]) -> Meta:
    meta = run_in_memory(layout.load_meta(store))
    for document in documents:
        meta, changes = run_in_memory(layout.add_lesson(store, meta, document))
        store.apply(changes)
    return meta


def _summary(document: dict[str, Any]) -> dict[str, Any]:
    return {key: document[key] for key in layout.SUMMARY_FIELDS}


def reference_listing(
    index: list[dict[str, Any]], limit: int, cursor: str | None, topic: str | None, difficulty: str | None
) -> dict[str, Any]:
    """The first release's listing (one list, newest first, cursor = the last lesson_id): the reference."""
    entries = [e for e in index if topic in (None, e["topic"]) and difficulty in (None, e["difficulty"])]
    start = 0
    if cursor:
        start = next(i for i, entry in enumerate(entries) if entry["lesson_id"] == cursor) + 1
    page = entries[start : start + limit]
    more = start + limit < len(entries)
    return {"items": page, "next_cursor": page[-1]["lesson_id"] if more and page else None}


def reference_planned_topics(index: list[dict[str, Any]], knowledge: LearnerKnowledge | None) -> frozenset[str]:
    """The first release's plan, scanning every lesson of the learner: the reference."""
    planned = set()
    for entry in index:
        known = knowledge.topics.get(entry["topic"]) if knowledge else None
        last = known.last_activity_at if known else None
        if last is None or datetime.fromisoformat(entry["created_at"]) > last:
            planned.add(entry["topic"])
    return frozenset(planned)


def _all_pages(
    store: MemoryStore, limit: int, topic: str | None = None, difficulty: str | None = None
) -> tuple[list[dict[str, Any]], int]:
    listed, cursor, pages = [], None, 0
    while True:
        page = run_in_memory(
            layout.page(store, run_in_memory(layout.load_meta(store)), limit, cursor, topic, difficulty)
        )
        listed += page.items
        pages += 1
        if page.next_cursor is None:
            return listed, pages
        cursor = page.next_cursor


lessons = st.lists(st.tuples(st.sampled_from(TOPICS), st.sampled_from(DIFFICULTIES)), max_size=3 * CHUNK)


@settings(max_examples=60, deadline=None)
@given(
    lessons,
    st.integers(1, 30),
    st.sampled_from((None, *TOPICS)),
    st.sampled_from((None, *DIFFICULTIES)),
)
def test_paging_lists_what_the_single_list_listed_newest_first(
    generated: list[tuple[str, str]], limit: int, topic: str | None, difficulty: str | None
) -> None:
    documents = [_document(n, t, d) for n, (t, d) in enumerate(generated, start=1)]
    store = MemoryStore()
    _generate(store, documents)
    index = [_summary(document) for document in reversed(documents)]

    listed, _ = _all_pages(store, limit, topic, difficulty)

    expected, cursor = [], None
    while True:
        page = reference_listing(index, limit, cursor, topic, difficulty)
        expected += page["items"]
        if (cursor := page["next_cursor"]) is None:
            break
    assert listed == expected


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2 * CHUNK), st.integers(1, CHUNK), st.lists(st.integers(0, 5), min_size=1, max_size=8))
def test_lessons_generated_between_pages_never_shift_the_items(start: int, limit: int, arrivals: list[int]) -> None:
    store = MemoryStore()
    _generate(store, [_document(n) for n in range(1, start + 1)])
    existing = [_summary(_document(n)) for n in range(start, 0, -1)]
    listed: list[dict[str, Any]] = []
    cursor, n = None, start
    for count in [*arrivals, *[0] * (start // limit + 1)]:
        page = run_in_memory(layout.page(store, run_in_memory(layout.load_meta(store)), limit, cursor))
        listed += page.items
        _generate(store, [_document(n + i) for i in range(1, count + 1)])
        n += count
        if page.next_cursor is None:
            break
        cursor = page.next_cursor

    assert listed == existing  # no duplicates, no skips, nothing generated after the first page


def test_an_unfiltered_page_reads_one_or_two_chunks() -> None:
    store = MemoryStore()
    _generate(store, [_document(n) for n in range(1, 5 * CHUNK)])
    meta = run_in_memory(layout.load_meta(store))
    reads: list[str] = []
    get = store.get

    async def counting(key: str) -> Any:
        reads.append(key)
        return await get(key)

    store.get = counting  # type: ignore[method-assign]
    run_in_memory(layout.page(store, meta, 20, 3 * CHUNK + 5))

    assert reads == [layout.index_key(3 * CHUNK + 4), layout.index_key(3 * CHUNK - 1)]


def test_a_rare_filter_gives_short_pages_with_a_cursor_until_the_index_is_scanned() -> None:
    store = MemoryStore()
    total = 3 * MAX_SCAN_CHUNKS * CHUNK - 1  # seqs 1.. fill exactly 3 * MAX_SCAN_CHUNKS chunks
    _generate(store, [_document(n, "classes" if n == 1 else "loops") for n in range(1, total + 1)])

    listed, pages = _all_pages(store, 20, topic="classes")

    assert [item["lesson_id"] for item in listed] == [_document(1)["lesson_id"]]
    assert pages == 3


@settings(max_examples=60, deadline=None)
@given(lessons, st.dictionaries(st.sampled_from(TOPICS), st.integers(0, 200)))
def test_planned_topics_from_the_meta_match_a_scan_of_every_lesson(
    generated: list[tuple[str, str]], activity: dict[str, int]
) -> None:
    documents = [_document(n, t, d) for n, (t, d) in enumerate(generated, start=1)]
    meta = _generate(MemoryStore(), documents)
    knowledge = LearnerKnowledge(
        "ada", {name: TopicKnowledge(last_activity_at=T0 + timedelta(minutes=m)) for name, m in activity.items()}
    )
    index = [_summary(document) for document in reversed(documents)]

    assert layout.planned_topics(meta, knowledge) == reference_planned_topics(index, knowledge)
    assert layout.planned_topics(meta, None) == reference_planned_topics(index, None)
    for topic in TOPICS:
        assert meta.lessons_on(topic) == sum(entry["topic"] == topic for entry in index)


def test_a_learner_of_the_first_release_is_converted_in_batches_the_meta_last() -> None:
    documents = [_document(n, TOPICS[n % 3]) for n in range(1, 1201)]
    old = {
        "lessons": [_summary(document) for document in reversed(documents)],
        "requests": {f"r{n}": document["lesson_id"] for n, document in enumerate(documents)},
        **{layout.lesson_key(document["lesson_id"]): document for document in documents},
    }
    store = MemoryStore(old)

    batches = run_in_memory(layout.conversion(store))
    for batch in batches:
        store.apply(batch)

    assert len(batches) > 2
    assert set(batches[-1]) == {"meta", "lessons", "requests"}
    assert "lessons" not in store.values
    assert "requests" not in store.values
    assert run_in_memory(layout.conversion(store)) == []
    listed, _ = _all_pages(store, 100)
    assert listed == old["lessons"]
    fresh = MemoryStore()
    assert run_in_memory(layout.load_meta(store)) == _generate(fresh, documents)


def test_a_learner_with_no_lessons_needs_no_conversion() -> None:
    assert run_in_memory(layout.conversion(MemoryStore({"knowledge": {"learner_id": "ada", "topics": {}}}))) == []


def test_a_summary_clips_long_free_text_so_a_chunk_stays_bounded() -> None:
    summary = layout.summary_of(_document(1, text="🐍" * 10_000), 1)

    assert len(summary["title"]) == layout.SUMMARY_CLIP["title"]
    assert summary["title"].endswith("…")


def _size(value: Any) -> int:
    return len(json.dumps(value, ensure_ascii=False).encode())


def _progress(seq: int) -> ProgressUpdatedV1:
    return ProgressUpdatedV1(
        learner_id="ada",
        source_event_id=f"e{seq}",
        activity="quiz",
        topic=TOPICS[seq % 3],
        score=seq % 101,
        completed_at=T0 + timedelta(minutes=seq),
        events_recorded=seq,
        xp_earned=10,
        xp_total=10 * seq,
        level=1,
        topic_mastery=50,
        topic_level="Beginner",
        topic_next_review_at=None,
        week="2026-W01",
        week_xp=10,
    )


def test_no_value_passes_256_kb_after_20000_progress_events_and_5000_lessons_of_longest_text() -> None:
    knowledge = None
    for seq in range(1, 20_001):
        knowledge = apply_progress(knowledge, f"ce-{seq}", _progress(seq))
    assert knowledge is not None
    store = MemoryStore({"knowledge": knowledge.to_dict()})
    _generate(store, [_document(n, TOPICS[n % 3], text="🐍" * 1_000) for n in range(1, 5_001)])

    sizes = {key: _size(value) for key, value in store.values.items() if not key.startswith("lesson:")}

    assert max(sizes.values()) < MAX_VALUE_BYTES, max(sizes.items(), key=lambda item: item[1])
    assert sizes["knowledge"] < 4_000
    assert sizes["meta"] < 2_000


def test_the_meta_remembers_the_items_the_latest_lessons_on_a_topic_served() -> None:
    documents = [
        {
            **_document(n, topic="loops"),
            "exercises": [{"id": f"loops-b-{n}"}, {"id": "x" * 200}],  # an id no curriculum has is not kept
            "quiz": [{"id": f"loops-b-q{n}"}],
        }
        for n in range(1, 6)
    ]

    meta = _generate(MemoryStore(), documents)

    assert meta.served() == {"loops": tuple((f"loops-b-{n}", f"loops-b-q{n}") for n in range(3, 6))}
    assert Meta.from_dict(meta.to_dict()) == meta


def test_a_meta_stored_before_served_items_were_kept_reads_as_having_none() -> None:
    stored = {"version": 2, "lessons": 1, "topics": {"loops": {"count": 1, "newest_at": T0.isoformat()}}}

    assert Meta.from_dict(stored).served() == {}


def test_the_meta_stays_small_whatever_a_model_puts_in_its_lessons() -> None:
    lesson = {"exercises": [{"id": "e" * 62 + f"{n:02}"} for n in range(50)], "quiz": [{"id": "q" * 64}] * 50}
    documents = [{**_document(n, topic=slug), **lesson} for n, slug in enumerate(PLATFORM_TOPIC_SLUGS * 4)]

    meta = _generate(MemoryStore(), documents)

    assert _size(meta.to_dict()) < 40_000
