"""What the language-model generator is asked, and how its answer becomes a lesson. Pure.

The model gets the choice already made (topic, difficulty, rationale) and the built-in draft as a
starting point, and must answer with one JSON lesson document. Identity fields (ids, learner,
time) are always ours, never the model's.
"""

from __future__ import annotations

import json
import re
from typing import Any

from course_agent.domain.lesson import Lesson

SYSTEM_PROMPT = (
    "You are LearnFlow, a patient Python tutor. You write one lesson as a single JSON object that "
    "validates against the JSON Schema you are given. Code must be correct, idiomatic Python 3.11; every "
    "example's expected_output must be exactly what the code prints; every exercise's tests must pass "
    "with its reference_solution. Answer with the JSON object only."
)
OURS = ("schema_version", "lesson_id", "learner_id", "topic", "difficulty", "rationale", "request_id", "created_at")


def user_prompt(draft: Lesson, schema: dict[str, Any]) -> str:
    return (
        f"Write a {draft.difficulty} lesson on the Python topic '{draft.topic}' for this learner. "
        f"Why this lesson: {draft.rationale}.\n\nJSON Schema:\n{json.dumps(schema)}\n\n"
        f"Improve on this draft (keep its structure):\n{draft.model_dump_json()}"
    )


def parse_reply(reply: str, draft: Lesson, generator: str) -> Lesson:
    """The model's lesson, with our identity fields; ValueError if it is not a valid lesson."""
    text = re.sub(r"^```(?:json)?\s*|\s*```$", "", reply.strip())
    data = json.loads(text)
    if not isinstance(data, dict):
        raise ValueError("the reply is not a JSON object")
    ours = draft.model_dump(mode="json", include=set(OURS))
    return Lesson.model_validate({**data, **ours, "generator": generator})
