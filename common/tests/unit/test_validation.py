"""The one safe id rule (learner, event, request and CloudEvent ids) and the lesson id built on it."""

from __future__ import annotations

import pytest
from pydantic import TypeAdapter, ValidationError

from learnflow_common.validation import LessonId, LessonRef, SafeId, is_safe_id, owner_of_lesson

SAFE = ["a", "ada", "evt-1", "2026-11-20-quiz", "user@example.com", "urn:learner:42", "a.b_c", "x" * 128]
UNSAFE = ["", "e\u00001", "e\x01", "e\n", "ada\n", " ada", "-ada", ".ada", "a b", "é", "a/b", "a~b", "x" * 129]


@pytest.mark.parametrize("value", SAFE)
def test_letters_digits_and_dot_underscore_colon_at_dash_up_to_128_are_safe(value: str) -> None:
    assert is_safe_id(value)
    assert TypeAdapter(SafeId).validate_python(value) == value


@pytest.mark.parametrize("value", UNSAFE, ids=repr)
def test_nul_control_characters_spaces_non_ascii_and_over_128_are_not(value: str) -> None:
    assert not is_safe_id(value)
    with pytest.raises(ValidationError):
        TypeAdapter(SafeId).validate_python(value)


def test_a_lesson_id_is_its_learners_id_a_tilde_and_32_hex_digits() -> None:
    lesson_id = "ada~" + "0123456789abcdef" * 2

    assert TypeAdapter(LessonId).validate_python(lesson_id) == lesson_id
    assert owner_of_lesson(lesson_id) == "ada"
    assert owner_of_lesson("x" * 128 + "~" + "f" * 32) == "x" * 128


@pytest.mark.parametrize("value", ["ada", "ada~123", "ada~" + "G" * 32, "a\u0000~" + "0" * 32, "~" + "0" * 32])
def test_anything_else_is_not_a_lesson_id(value: str) -> None:
    assert owner_of_lesson(value) is None
    with pytest.raises(ValidationError):
        TypeAdapter(LessonId).validate_python(value)


@pytest.mark.parametrize("value", ["lesson-1", "ada~" + "0123456789abcdef" * 2, "x" * 128 + "~" + "0" * 32])
def test_a_lesson_reference_is_a_course_agent_lesson_id_or_any_safe_id(value: str) -> None:
    assert TypeAdapter(LessonRef).validate_python(value) == value


@pytest.mark.parametrize("value", ["", "lesson\u00001", "ada~xyz\n", "a b"], ids=repr)
def test_a_lesson_reference_with_unsafe_characters_is_refused(value: str) -> None:
    with pytest.raises(ValidationError):
        TypeAdapter(LessonRef).validate_python(value)
