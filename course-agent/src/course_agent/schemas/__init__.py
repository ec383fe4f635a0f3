"""The published lesson JSON Schema (``lesson.v1.json``), generated from ``domain.lesson.Lesson``.

``python -m course_agent.schemas`` rewrites it; a unit test fails when it drifts from the model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from course_agent.domain.lesson import LESSON_SCHEMA_VERSION, Lesson

SCHEMA_PATH = Path(__file__).with_name(f"{LESSON_SCHEMA_VERSION}.json")
SCHEMA_ID = f"https://learnflow.dev/schemas/{LESSON_SCHEMA_VERSION}.json"


def render_schema() -> dict[str, Any]:
    schema = Lesson.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def load_schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_PATH.read_text()))


def write_schema() -> Path:
    SCHEMA_PATH.write_text(json.dumps(render_schema(), indent=2, sort_keys=True) + "\n")
    return SCHEMA_PATH
