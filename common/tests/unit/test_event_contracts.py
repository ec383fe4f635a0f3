"""Event contracts: schema files in sync with the models, envelopes valid against them."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from typing import get_args

import jsonschema
import pytest

from learnflow_common.events import (
    EVENT_TYPES,
    KAFKA_TOPICS,
    CloudEvent,
    ItemResultV1,
    LessonGeneratedV1,
    ProgressUpdatedV1,
)
from learnflow_common.schemas import load_schema, render_schema
from learnflow_common.vocabulary import ACTIVITIES, DIFFICULTIES, MasteryLevel


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_published_schema_file_matches_the_model(event_type: str) -> None:
    assert load_schema(event_type) == json.loads(json.dumps(render_schema(event_type))), (
        "schema file is stale: run `make schemas`"
    )


@pytest.mark.parametrize("event_type", sorted(EVENT_TYPES))
def test_schema_names_its_type_and_version(event_type: str) -> None:
    schema = load_schema(event_type)

    assert schema["$id"].endswith(f"/{event_type}.json")
    assert event_type.rsplit(".", 1)[-1].startswith("v")
    jsonschema.Draft202012Validator.check_schema(schema)


def _progress_updated(items: list[ItemResultV1] | None = None) -> ProgressUpdatedV1:
    return ProgressUpdatedV1(
        learner_id="ada",
        source_event_id="e-1",
        activity="quiz",
        topic="variables",
        score=90,
        completed_at=datetime(2026, 3, 29, 1, 30, tzinfo=UTC),
        events_recorded=1,
        xp_earned=19,
        xp_total=19,
        level=1,
        topic_mastery=30,
        topic_level="Beginner",
        topic_next_review_at=datetime(2026, 4, 1, tzinfo=UTC),
        week="2026-W13",
        week_xp=19,
        items=items,
    )


def test_wrapped_event_data_validates_against_its_published_schema() -> None:
    payload = _progress_updated()

    envelope = CloudEvent.wrap(event_id="id-1", source="user-progress", payload=payload, subject="ada")

    jsonschema.validate(envelope.model_dump(mode="json")["data"], load_schema(envelope.type))
    assert envelope.type == "learnflow.progress.updated.v1"
    assert envelope.dataschema is not None
    assert envelope.dataschema.endswith("learnflow.progress.updated.v1.json")


def test_progress_updated_without_items_has_no_items_key_so_older_consumers_read_it_unchanged() -> None:
    data = CloudEvent.wrap(event_id="id-1", source="user-progress", payload=_progress_updated(), subject="ada").data

    assert "items" not in data
    assert "lesson_id" in data  # the other optional fields keep their explicit null


def test_progress_updated_items_travel_in_order_and_validate_against_the_schema() -> None:
    items = [
        ItemResultV1(item_id="loops-2", correct=False, attempts=3, hints_used=1),
        ItemResultV1(item_id="loops-1", correct=True, attempts=1, hints_used=0),
    ]
    envelope = CloudEvent.wrap(
        event_id="id-1", source="user-progress", payload=_progress_updated(items=items), subject="ada"
    )

    jsonschema.validate(envelope.data, load_schema(envelope.type))
    assert [item["item_id"] for item in envelope.data["items"]] == ["loops-2", "loops-1"]
    assert ProgressUpdatedV1.model_validate(envelope.data).items == items


def test_every_topic_has_a_dead_letter_topic() -> None:
    main = [topic for topic in KAFKA_TOPICS if not topic.endswith("-dlq")]

    assert {f"{topic}-dlq" for topic in main} <= set(KAFKA_TOPICS)


def test_published_events_speak_the_shared_vocabulary() -> None:
    progress = load_schema(ProgressUpdatedV1.EVENT_TYPE)["properties"]
    lesson = load_schema(LessonGeneratedV1.EVENT_TYPE)["properties"]

    assert progress["activity"]["enum"] == list(ACTIVITIES)
    assert progress["topic_level"]["enum"] == list(get_args(MasteryLevel))
    assert lesson["difficulty"]["enum"] == list(DIFFICULTIES)
