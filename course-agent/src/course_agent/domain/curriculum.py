"""The shape of the curriculum the Course Agent composes lessons from, and the rules it must keep.

The content itself is data (``course_agent/content/<topic>.yaml``, read by ``course_agent.content``);
these frozen models are its schema, validated when it is loaded. Every item (section, worked example,
exercise, quiz question) has a stable id, a difficulty, the concepts it uses and the concepts it
teaches, so a test can check that nothing uses a concept before the curriculum has taught it.
"""

from __future__ import annotations

import functools
import re
from collections import OrderedDict
from collections.abc import Callable, Mapping
from types import MappingProxyType
from typing import Any, Self, TypeVar

from pydantic import BaseModel, ConfigDict, Field, model_validator

from course_agent.domain.concepts import Concept, concepts_in
from learnflow_common.validation import TopicSlug
from learnflow_common.vocabulary import DIFFICULTIES, Difficulty

ITEM_ID_PATTERN = r"^[a-z0-9]+(?:-[a-z0-9]+)*$"


class Item(BaseModel):
    """What every piece of content has."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=ITEM_ID_PATTERN)
    difficulty: Difficulty
    concepts_used: tuple[Concept, ...] = Field(description="Concepts a learner must know to read it")
    concepts_taught: tuple[Concept, ...] = Field(description="Concepts it introduces (each is taught once)")

    @property
    def practised_concepts(self) -> tuple[Concept, ...]:
        """The concepts a learner's answer to it shows evidence on: what it teaches and uses."""
        return tuple(dict.fromkeys((*self.concepts_taught, *self.concepts_used)))


class Section(Item):
    """An explanation: a heading and a Markdown body."""

    heading: str = Field(min_length=1)
    markdown: str = Field(min_length=80)


class CodeExample(Item):
    """A worked example: running ``code`` prints exactly ``expected_output`` (trailing newlines aside)."""

    title: str = Field(min_length=1)
    code: str = Field(min_length=1)
    expected_output: str = Field(min_length=1)


class Mutant(BaseModel):
    """A plausible wrong solution (off by one, a wrong boundary, a wrong type...) the tests must reject:
    the proof that they check what the exercise asks, not just that something runs."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    flaw: str = Field(min_length=1, description="The mistake, as a reviewer would name it")
    code: str = Field(min_length=1, description="The whole wrong solution, in place of `solution`")


class Exercise(Item):
    """A hands-on exercise.

    ``tests`` is Python with ``assert`` statements, run after ``solution`` in the same namespace, which it
    passes; ``starter_code`` is the skeleton handed to the learner and fails them, and so does each of
    ``mutants``. ``hints`` are graded: a nudge, then a strategy, then a near-solution that still leaves
    the learner a line to write.
    """

    prompt: str = Field(min_length=1)
    hints: tuple[str, ...] = Field(min_length=1)
    starter_code: str
    solution: str = Field(min_length=1)
    tests: str = Field(min_length=1)
    mutants: tuple[Mutant, ...] = Field(min_length=2, description="Plausible wrong solutions its tests reject")

    @functools.cached_property
    def practised_concepts(self) -> tuple[Concept, ...]:
        """What the learner's code needs: the concepts of the solution, and what the exercise teaches.
        The tests' own (``assert`` in the check of a loop exercise) are the harness's: failing the
        exercise says nothing about them."""
        written = concepts_in(self.solution)
        return tuple(dict.fromkeys((*self.concepts_taught, *(c for c in self.concepts_used if c in written))))


_ANSWER_PREFIX = re.compile(r"^(?:return |yield |[A-Za-z_][\w.\[\]\"']* [-+*/]?= )")
_NOT_THE_ANSWER = ("def ", "class ", "import ", "from ", "@", "else:", "try:", "finally:", "pass", "...")


def revealing_hints(exercise: Exercise) -> list[tuple[str, str]]:
    """Hints that give a line of the solution away verbatim, each with the line it gives.

    A line counts, or its expression after ``return``, ``yield`` or ``name =``, when it is at least 8
    characters, more than a name, and not already in the starter code; signatures, imports and bare
    keywords do not.
    """
    starter = {line.strip() for line in exercise.starter_code.splitlines()}
    answers: set[str] = set()
    for raw in exercise.solution.splitlines():
        line = raw.strip()
        if line in starter or line.startswith(_NOT_THE_ANSWER):
            continue
        answers.add(line)
        answers.add(_ANSWER_PREFIX.sub("", line))
    given_away = sorted(a for a in answers if len(a) >= 8 and not a.isidentifier())
    return [(hint, line) for hint in exercise.hints for line in given_away if line in hint]


class QuizQuestion(Item):
    """A multiple-choice question; ``answer`` is the index of the correct entry in ``choices``."""

    question: str = Field(min_length=1)
    choices: tuple[str, ...] = Field(min_length=3, max_length=4)
    answer: int = Field(ge=0)
    explanation: str = Field(min_length=1)

    @model_validator(mode="after")
    def _answer_is_a_choice(self) -> Self:
        if self.answer >= len(self.choices):
            raise ValueError(f"answer {self.answer} is not an index into {len(self.choices)} choices")
        if len(set(self.choices)) != len(self.choices):
            raise ValueError("choices must be distinct")
        return self


class LevelContent(BaseModel):
    """What a topic teaches at one difficulty: its objectives, then the items a lesson is made of."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    objectives: tuple[str, ...] = Field(min_length=1)
    sections: tuple[Section, ...] = Field(min_length=1)
    examples: tuple[CodeExample, ...] = Field(min_length=1)
    exercises: tuple[Exercise, ...] = Field(min_length=1)
    quiz: tuple[QuizQuestion, ...] = Field(min_length=1)

    def items(self) -> tuple[Item, ...]:
        """Every item of the level, in lesson order."""
        return (*self.sections, *self.examples, *self.exercises, *self.quiz)


class Topic(BaseModel):
    """One curriculum topic; ``prerequisites`` are slugs of topics to learn first."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    slug: TopicSlug
    title: str = Field(min_length=1)
    summary: str = Field(min_length=1)
    prerequisites: tuple[TopicSlug, ...]
    estimated_minutes: int = Field(ge=1, le=240)
    objectives: tuple[str, ...] = Field(min_length=1)
    levels: dict[Difficulty, LevelContent]

    @model_validator(mode="after")
    def _levels_are_the_difficulties_in_order(self) -> Self:
        if tuple(self.levels) != DIFFICULTIES:
            raise ValueError(f"levels must be exactly {', '.join(DIFFICULTIES)}, in that order")
        for difficulty, level in self.levels.items():
            for item in level.items():
                if item.difficulty != difficulty:
                    raise ValueError(f"{item.id} says {item.difficulty} but is in the {difficulty} level")
        return self


class Curriculum(BaseModel):
    """Every topic, each listed after all of its prerequisites."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    topics: tuple[Topic, ...] = Field(min_length=1)

    @model_validator(mode="after")
    def _prerequisites_come_first(self) -> Self:
        seen: set[str] = set()
        for topic in self.topics:
            if topic.slug in seen:
                raise ValueError(f"topic {topic.slug!r} is listed twice")
            missing = [p for p in topic.prerequisites if p not in seen]
            if missing:
                raise ValueError(f"{topic.slug!r} comes before its prerequisites {missing}")
            seen.add(topic.slug)
        return self

    @property
    def slugs(self) -> tuple[str, ...]:
        return tuple(t.slug for t in self.topics)

    def topic(self, slug: str) -> Topic:
        """The topic with this slug; ``KeyError`` for an unknown one."""
        for candidate in self.topics:
            if candidate.slug == slug:
                return candidate
        raise KeyError(f"unknown topic {slug!r}; known: {', '.join(self.slugs)}")


Key = TypeVar("Key")
Value = TypeVar("Value")
#: Curricula whose derived values are kept: the built-in one, and the few with a topic's variants
#: that lessons being composed use at once. Each is held here (so its id stays its own while listed).
DERIVED_CURRICULA = 8
_derived: OrderedDict[int, tuple[Curriculum, dict[str, Any]]] = OrderedDict()


def derived(compute: Callable[[Curriculum], Mapping[Key, Value]]) -> Callable[[Curriculum], Mapping[Key, Value]]:
    """A value of a curriculum that only its content decides, computed once per curriculum object
    (curricula are frozen) instead of on every lesson, and handed out read-only. ``compute`` stays
    reachable as ``.compute``: the reference the tests hold the kept values to."""

    name = f"{compute.__module__}.{compute.__qualname__}"

    @functools.wraps(compute)
    def kept(curriculum: Curriculum) -> Mapping[Key, Value]:
        entry = _derived.get(id(curriculum))
        if entry is None or entry[0] is not curriculum:
            entry = (curriculum, {})
            _derived[id(curriculum)] = entry
            while len(_derived) > DERIVED_CURRICULA:
                _derived.popitem(last=False)
        _derived.move_to_end(id(curriculum))
        values = entry[1]
        if name not in values:
            values[name] = MappingProxyType(dict(compute(curriculum)))
        value: Mapping[Key, Value] = values[name]
        return value

    kept.compute = compute  # type: ignore[attr-defined]
    return kept


@derived
def teaching_positions(curriculum: Curriculum) -> Mapping[Concept, tuple[str, Difficulty]]:
    """Where each concept is taught: the topic and level of the first item that declares it taught."""
    taught: dict[Concept, tuple[str, Difficulty]] = {}
    for topic, difficulty, item in _in_order(curriculum):
        for concept in item.concepts_taught:
            taught.setdefault(concept, (topic.slug, difficulty))
    return taught


def prerequisite_closure(curriculum: Curriculum, slug: str) -> frozenset[str]:
    """Every topic ``slug`` builds on: its prerequisites, theirs, and so on."""
    found: set[str] = set()
    waiting = list(curriculum.topic(slug).prerequisites)
    while waiting:
        topic = waiting.pop()
        if topic not in found:
            found.add(topic)
            waiting.extend(curriculum.topic(topic).prerequisites)
    return frozenset(found)


def allowed_concepts(curriculum: Curriculum, topic: str, difficulty: Difficulty) -> frozenset[Concept]:
    """What an item of this topic level may use: its position in the prerequisite graph. The concepts
    taught by the topic up to this level, and every concept taught by a topic it builds on (directly
    or through others); nothing from a topic outside its prerequisites, however early it comes."""
    before = frozenset(DIFFICULTIES[: DIFFICULTIES.index(difficulty) + 1])
    builds_on = prerequisite_closure(curriculum, topic)
    return frozenset(
        concept
        for concept, (where, level) in teaching_positions(curriculum).items()
        if where in builds_on or (where == topic and level in before)
    )


def level_needs(curriculum: Curriculum, topic: str, difficulty: Difficulty) -> dict[str, Difficulty]:
    """The other topics this level's items read concepts of, each with the highest level that teaches
    one of them: what a learner must have learned to read the level (``list`` in a control-flow
    exercise is variables at intermediate, though control flow only builds on variables)."""
    taught_at = teaching_positions(curriculum)
    needs: dict[str, Difficulty] = {}
    for item in curriculum.topic(topic).levels[difficulty].items():
        for concept in item.concepts_used:
            where, level = taught_at.get(concept, (topic, difficulty))
            if where != topic:
                needs[where] = max(needs.get(where, level), level, key=DIFFICULTIES.index)
    return needs


def forward_references(curriculum: Curriculum) -> dict[str, tuple[Concept, ...]]:
    """Items that use a concept their position in the prerequisite graph does not give them
    (:func:`allowed_concepts`), with those concepts. An item may use what its own level teaches."""
    found: dict[str, tuple[Concept, ...]] = {}
    for topic, difficulty, level in _levels(curriculum):
        allowed = allowed_concepts(curriculum, topic.slug, difficulty)
        for item in level.items():
            early = tuple(c for c in item.concepts_used if c not in allowed)
            if early:
                found[item.id] = early
    return found


def _levels(curriculum: Curriculum) -> list[tuple[Topic, Difficulty, LevelContent]]:
    return [(topic, difficulty, level) for topic in curriculum.topics for difficulty, level in topic.levels.items()]


def _in_order(curriculum: Curriculum) -> list[tuple[Topic, Difficulty, Item]]:
    return [(topic, difficulty, item) for topic, difficulty, level in _levels(curriculum) for item in level.items()]
