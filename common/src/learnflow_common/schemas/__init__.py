"""Versioned JSON Schema files, one per event type, generated from the models in ``events``, and the
AsyncAPI document of the topics that refers to them.

``python -m learnflow_common.schemas`` rewrites them; a unit test fails when they drift.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from learnflow_common.events import EVENT_TYPES, schema_uri

SCHEMA_DIR = Path(__file__).parent


def render_schema(event_type: str) -> dict[str, Any]:
    schema = EVENT_TYPES[event_type].model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": schema_uri(event_type), **schema}


def schema_path(event_type: str) -> Path:
    return SCHEMA_DIR / f"{event_type}.json"


def load_schema(event_type: str) -> dict[str, Any]:
    schema: dict[str, Any] = json.loads(schema_path(event_type).read_text())
    return schema


#: The AsyncAPI document of the topics (learnflow_common.schemas.asyncapi).
ASYNCAPI_PATH = SCHEMA_DIR / "asyncapi.json"


def write_schemas() -> list[Path]:
    from learnflow_common.schemas.asyncapi import render_asyncapi

    written = []
    for event_type in EVENT_TYPES:
        path = schema_path(event_type)
        path.write_text(json.dumps(render_schema(event_type), indent=2, sort_keys=True) + "\n")
        written.append(path)
    ASYNCAPI_PATH.write_text(json.dumps(render_asyncapi(), indent=2) + "\n")
    return [*written, ASYNCAPI_PATH]
