"""The lesson document: what POST /generate-lesson returns and GET /lessons lists.

One versioned JSON Schema (``schemas/lesson.v1.json``, generated from this model) is published for
clients; an LLM-written lesson must validate against it before it is accepted.
"""

from __future__ import annotations

from datetime import datetime
from typing import Final, Literal, Self

from pydantic import BaseModel, ConfigDict, Field, model_validator

from learnflow_common.vocabulary import Difficulty

LESSON_SCHEMA_VERSION: Final = "lesson.v1"


class Section(BaseModel):
    model_config = ConfigDict(extra="forbid")
    heading: str = Field(min_length=1)
    markdown: str = Field(min_length=1)


class Example(BaseModel):
    model_config = ConfigDict(extra="forbid")
    title: str
    code: str = Field(min_length=1, description="Python source")
    expected_output: str = Field(description="What running `code` prints")


class Exercise(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    prompt: str = Field(min_length=1)
    starter_code: str
    hints: list[str]
    reference_solution: str = Field(min_length=1)
    tests: str = Field(min_length=1, description="Python asserts that check the solution")


class QuizQuestion(BaseModel):
    model_config = ConfigDict(extra="forbid")
    id: str
    question: str = Field(min_length=1)
    choices: list[str] = Field(min_length=2)
    answer: int = Field(ge=0, description="Index of the correct choice")
    explanation: str
    choice_order: list[int] | None = Field(
        default=None,
        description=(
            "How the choices were shuffled for this lesson: choices[i] is choice choice_order[i] of the "
            "question as the curriculum holds it (absent: the curriculum's order)"
        ),
    )

    @model_validator(mode="after")
    def _choice_order_is_a_permutation(self) -> Self:
        if self.choice_order is not None and sorted(self.choice_order) != list(range(len(self.choices))):
            raise ValueError("choice_order must be a permutation of the choices' indices")
        return self

    def original_choice(self, shown: int) -> int:
        """The curriculum's index of the choice shown at ``shown``: what a learner's answer is graded as."""
        return shown if self.choice_order is None else self.choice_order[shown]


class Lesson(BaseModel):
    model_config = ConfigDict(extra="forbid", title=LESSON_SCHEMA_VERSION)

    schema_version: Literal["lesson.v1"] = LESSON_SCHEMA_VERSION
    lesson_id: str
    learner_id: str
    topic: str
    difficulty: Difficulty
    title: str = Field(min_length=1)
    objectives: list[str] = Field(min_length=1)
    estimated_minutes: int = Field(ge=1, le=240)
    sections: list[Section] = Field(min_length=1)
    examples: list[Example] = Field(min_length=1)
    exercises: list[Exercise] = Field(min_length=1)
    quiz: list[QuizQuestion] = Field(min_length=1)
    prerequisites: list[str]
    rationale: str = Field(min_length=1, description="Why this topic and difficulty, for this learner")
    generator: str = Field(
        description="What composed the lesson: builtin (the bank; lessons of earlier releases may name a model)"
    )
    request_id: str | None = None
    created_at: datetime
