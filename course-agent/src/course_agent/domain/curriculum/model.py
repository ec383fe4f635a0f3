"""The tiny data model of the built-in curriculum: topics, levels, examples, exercises, quizzes.

Everything is a frozen dataclass holding plain data, so the curriculum can be imported, compared and
serialised without any I/O or third-party dependency.
"""

from __future__ import annotations

import textwrap
from dataclasses import dataclass


def block(text: str) -> str:
    """Dedent a triple-quoted snippet and normalise it to exactly one trailing newline."""
    return textwrap.dedent(text).strip("\n") + "\n"


@dataclass(frozen=True, slots=True)
class CodeExample:
    """A worked, runnable example.

    ``code`` is standalone Python; running it prints exactly ``expected_output`` on stdout
    (the comparison ignores trailing newlines).
    """

    title: str
    code: str
    expected_output: str


@dataclass(frozen=True, slots=True)
class Exercise:
    """A hands-on exercise.

    ``solution`` implements what ``prompt`` asks (usually a function). ``tests`` is Python with plain
    ``assert`` statements, meant to be executed after the solution in the same namespace. ``starter_code``
    is the skeleton handed to the learner and must not pass ``tests``.
    """

    id: str
    prompt: str
    starter_code: str
    hints: tuple[str, ...]
    solution: str
    tests: str


@dataclass(frozen=True, slots=True)
class QuizQuestion:
    """A multiple-choice question; ``answer`` is the index of the correct entry in ``choices``."""

    id: str
    question: str
    choices: tuple[str, ...]
    answer: int
    explanation: str


@dataclass(frozen=True, slots=True)
class LevelContent:
    """What a topic teaches at one difficulty.

    ``sections`` are ``(heading, markdown body)`` pairs, followed by worked ``examples``, ``exercises`` and a ``quiz``.
    """

    sections: tuple[tuple[str, str], ...]
    examples: tuple[CodeExample, ...]
    exercises: tuple[Exercise, ...]
    quiz: tuple[QuizQuestion, ...]


@dataclass(frozen=True, slots=True)
class Topic:
    """One curriculum topic; ``levels`` has exactly the keys of ``learnflow_common.vocabulary.DIFFICULTIES``.

    ``prerequisites`` are slugs of topics that should be learned first.
    """

    slug: str
    title: str
    summary: str
    prerequisites: tuple[str, ...]
    objectives: tuple[str, ...]
    estimated_minutes: int
    levels: dict[str, LevelContent]
