"""The published lesson JSON Schema (``lesson.v1.json``), generated from ``domain.lesson.Lesson``, and
the schema of the curriculum's topic files (``content/topic.schema.json``, from ``domain.curriculum.Topic``).

``python -m course_agent.schemas`` rewrites both; a unit test fails when either drifts from its model.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from course_agent import content
from course_agent.domain.curriculum import Topic
from course_agent.domain.lesson import LESSON_SCHEMA_VERSION, Lesson

SCHEMA_PATH = Path(__file__).with_name(f"{LESSON_SCHEMA_VERSION}.json")
SCHEMA_ID = f"https://learnflow.dev/schemas/{LESSON_SCHEMA_VERSION}.json"
TOPIC_SCHEMA_PATH = Path(content.__file__).with_name(content.TOPIC_SCHEMA_FILE)


def render_schema() -> dict[str, Any]:
    schema = Lesson.model_json_schema(mode="serialization")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", "$id": SCHEMA_ID, **schema}


def load_schema() -> dict[str, Any]:
    return dict(json.loads(SCHEMA_PATH.read_text()))


def render_topic_schema() -> dict[str, Any]:
    schema = Topic.model_json_schema(mode="validation")
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def load_topic_schema() -> dict[str, Any]:
    return dict(json.loads(TOPIC_SCHEMA_PATH.read_text()))


def write_schema() -> tuple[Path, Path]:
    SCHEMA_PATH.write_text(json.dumps(render_schema(), indent=2, sort_keys=True) + "\n")
    TOPIC_SCHEMA_PATH.write_text(json.dumps(render_topic_schema(), indent=2, sort_keys=True) + "\n")
    return SCHEMA_PATH, TOPIC_SCHEMA_PATH
