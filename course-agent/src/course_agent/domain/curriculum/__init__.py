"""The built-in Python curriculum the Course Agent composes lessons from.

Pure data: thirteen topics in teaching order, each with beginner, intermediate and advanced content
(sections, runnable examples, exercises with tests, and quizzes). Importing it performs no I/O.
"""

from __future__ import annotations

from course_agent.domain.curriculum.model import (
    CodeExample,
    Exercise,
    LevelContent,
    QuizQuestion,
    Topic,
)
from course_agent.domain.curriculum.topics import (
    async_,
    classes,
    collections,
    comprehensions,
    control_flow,
    errors,
    files,
    functions,
    iterators_generators,
    loops,
    strings,
    testing,
    variables,
)

CURRICULUM: tuple[Topic, ...] = (
    variables.TOPIC,
    strings.TOPIC,
    control_flow.TOPIC,
    loops.TOPIC,
    functions.TOPIC,
    collections.TOPIC,
    comprehensions.TOPIC,
    errors.TOPIC,
    files.TOPIC,
    classes.TOPIC,
    iterators_generators.TOPIC,
    testing.TOPIC,
    async_.TOPIC,
)
"""Every topic, each listed after all of its prerequisites."""

TOPIC_SLUGS: tuple[str, ...] = tuple(t.slug for t in CURRICULUM)

_BY_SLUG: dict[str, Topic] = {t.slug: t for t in CURRICULUM}


def topic(slug: str) -> Topic:
    """Return the topic with this slug; raise ``KeyError`` for an unknown one."""
    try:
        return _BY_SLUG[slug]
    except KeyError:
        raise KeyError(f"unknown topic {slug!r}; known: {', '.join(TOPIC_SLUGS)}") from None


__all__ = [
    "CURRICULUM",
    "TOPIC_SLUGS",
    "CodeExample",
    "Exercise",
    "LevelContent",
    "QuizQuestion",
    "Topic",
    "topic",
]
