"""Accepting a language model's lesson: only a valid lesson, and identity fields stay ours."""

from __future__ import annotations

import json
from datetime import UTC, datetime

import pytest

from course_agent.content import curriculum
from course_agent.domain.generator import Choice, compose
from course_agent.domain.prompt import parse_reply, user_prompt
from course_agent.schemas import load_schema

DRAFT = compose(
    curriculum(),
    Choice("loops", "beginner", "next topic"),
    None,
    learner_id="ada",
    lesson_id="ada~" + "0" * 32,
    created_at=datetime(2026, 11, 22, tzinfo=UTC),
    previous_lessons_on_topic=0,
    seed=1,
)


def test_valid_reply_becomes_the_lesson_with_our_ids_and_the_models_name() -> None:
    reply = DRAFT.model_dump(mode="json") | {"title": "Loops, gently", "lesson_id": "evil", "learner_id": "mallory"}

    lesson = parse_reply(f"```json\n{json.dumps(reply)}\n```", DRAFT, generator="llm:lesson-llm")

    assert lesson.title == "Loops, gently"
    assert (lesson.lesson_id, lesson.learner_id) == (DRAFT.lesson_id, "ada")
    assert lesson.generator == "llm:lesson-llm"


@pytest.mark.parametrize(
    "reply",
    ["Sure! Here is a lesson about loops.", "[]", json.dumps({"title": "only a title"})],
    ids=["prose", "not-an-object", "missing-fields"],
)
def test_reply_that_is_not_a_valid_lesson_is_refused(reply: str) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json and pydantic errors are both ValueError
        parse_reply(reply, DRAFT, generator="llm:lesson-llm")


def test_prompt_carries_the_choice_and_the_schema() -> None:
    prompt = user_prompt(DRAFT, load_schema())

    assert "'loops'" in prompt
    assert "next topic" in prompt
    assert '"$id"' in prompt
