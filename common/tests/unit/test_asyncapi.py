"""The AsyncAPI document of the topics: in sync with the event models, and every reference resolves."""

from __future__ import annotations

import json
from typing import Any

from learnflow_common.events import EVENT_OWNERS, EVENT_TOPICS, EVENT_TYPES, KAFKA_TOPICS, dead_letter_topic
from learnflow_common.schemas import ASYNCAPI_PATH, SCHEMA_DIR
from learnflow_common.schemas.asyncapi import render_asyncapi


def _document() -> dict[str, Any]:
    return json.loads(ASYNCAPI_PATH.read_text())


def _resolve(document: dict[str, Any], ref: str) -> Any:
    node: Any = document
    for part in ref.removeprefix("#/").split("/"):
        node = node[part]
    return node


def _refs(node: Any) -> list[str]:
    if isinstance(node, dict):
        return [node["$ref"]] if "$ref" in node else [ref for value in node.values() for ref in _refs(value)]
    if isinstance(node, list):
        return [ref for value in node for ref in _refs(value)]
    return []


def test_the_published_document_matches_the_models() -> None:
    assert _document() == json.loads(json.dumps(render_asyncapi())), "asyncapi.json is stale: run `make schemas`"


def test_every_reference_resolves_to_the_document_or_a_schema_file_beside_it() -> None:
    document = _document()

    for ref in _refs(document):
        if ref.startswith("#/"):
            assert _resolve(document, ref) is not None
        else:
            assert (SCHEMA_DIR / ref.removeprefix("./")).is_file(), ref


def test_each_event_type_is_a_message_of_its_topic_and_its_dead_letters_from_its_owner() -> None:
    document = _document()
    by_address = {channel["address"]: channel for channel in document["channels"].values()}

    assert set(by_address) == set(KAFKA_TOPICS)
    for event_type in EVENT_TYPES:
        topic = EVENT_TOPICS[event_type]
        for address in (topic, dead_letter_topic(topic)):
            messages = [_resolve(document, ref["$ref"]) for ref in by_address[address]["messages"].values()]
            assert event_type in {message["name"] for message in messages}
        message = next(m for m in document["components"]["messages"].values() if m["name"] == event_type)
        assert message["payload"]["properties"]["source"]["const"] == EVENT_OWNERS[event_type]
        assert message["payload"]["properties"]["data"]["$ref"] == f"./{event_type}.json"
