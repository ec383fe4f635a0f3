"""Verified variants: exercises, quiz questions and worked examples a language model proposes for one
topic level, and what a proposal must pass before it joins the bank lessons are composed from. Pure.

A proposal is accepted whole or not at all. In order, it must:

1. be one JSON object ending the reply, of the proposal's shape (:class:`Proposal`), whose items become
   the bank's own models (``domain/curriculum.py``: a quiz answer outside its choices is refused there);
2. be Python that parses, and use only concepts its position in the prerequisite graph allows
   (``concepts_in`` against ``curriculum.allowed_concepts``: no forward reference, no ``class`` in a loops
   lesson), and name no other language (a "Rust lifetimes" question is off topic);
3. be safe to run and to show: imports only from :data:`ALLOWED_MODULES`, no ``eval``/``exec``/
   ``getattr`` and the like, no dunder escape hatches (``__subclasses__``, ``__globals__`` ...);
4. test something: every ``assert`` reads a value (``assert True`` and ``assert 1 == 1`` do not), and
   the tests use a name the solution defines; hints never give a line of the solution away; nothing
   repeats an item the level already has;
5. then, run in the sandbox (:func:`snippets_of` says what, :func:`judge` reads the outcomes): the
   solution passes its tests, the starter code and every mutant fail them, and each example prints
   exactly its ``expected_output``.

Identity is ours, never the model's: ids are derived from the content, the difficulty is the one asked
for, the concepts are read from the code.
"""

from __future__ import annotations

import ast
import hashlib
import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from typing import Annotated, Any, Self

from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator

from course_agent.domain.concepts import Concept, concepts_in
from course_agent.domain.curriculum import (
    CodeExample,
    Curriculum,
    Exercise,
    Mutant,
    QuizQuestion,
    allowed_concepts,
    revealing_hints,
)
from learnflow_common.vocabulary import DIFFICULTIES, Difficulty

#: Accepted items kept per topic level, newest first (the bank's built-in items are not counted).
EXERCISES_KEPT = 6
QUESTIONS_KEPT = 8
EXAMPLES_KEPT = 2
#: A reply longer than this is not read.
MAX_REPLY_CHARS = 64_000
#: Field sizes (the bank's longest code is under 900 characters): a level's bank stays under 256 KB
#: stored, even all in characters JSON escapes.
MAX_CODE_CHARS = 1_500
MAX_TEXT_CHARS = 800
MAX_LINE_CHARS = 300

#: The standard library a lesson may import: what a Python course teaches, nothing that reaches the
#: system (``os``, ``sys``, ``subprocess``, ``socket``, ``ctypes``, ``importlib``, ``gc`` ...).
ALLOWED_MODULES = frozenset(
    {
        "abc", "asyncio", "bisect", "collections", "contextlib", "copy", "csv", "dataclasses", "datetime",
        "decimal", "enum", "fractions", "functools", "heapq", "io", "itertools", "json", "math", "operator",
        "pathlib", "random", "re", "statistics", "string", "tempfile", "textwrap", "time", "typing", "unittest",
    }
)  # fmt: skip
#: Another language named in a Python lesson: the item is about something else ("Rust lifetimes").
OTHER_LANGUAGES = re.compile(
    r"\b(?:Rust|Java|JavaScript|TypeScript|Golang|Ruby|Kotlin|Swift|PHP|Haskell|Scala|Perl|C\+\+|C#|COBOL|Fortran)(?![\w+#])"
)
#: Builtins that run or reach code by name: a lesson has no need of them, an attack does.
FORBIDDEN_NAMES = frozenset(
    {"eval", "exec", "compile", "__import__", "globals", "locals", "vars", "getattr", "setattr", "delattr",
     "breakpoint", "input", "memoryview", "__builtins__", "__loader__", "__spec__"}
)  # fmt: skip
#: Attributes that walk frames or the heap (``sys._getframe`` through a module's ``_sys``, a traceback's
#: frame, ``gc``'s object walks) or leave the interpreter at once: how code would reach the sandbox
#: driver's own state.
FORBIDDEN_ATTRIBUTES = frozenset(
    {"_getframe", "_current_frames", "f_back", "f_globals", "f_locals", "f_builtins", "tb_frame", "gi_frame",
     "cr_frame", "ag_frame", "get_objects", "get_referrers", "get_referents", "_exit", "_sys", "_os", "modules"}
)  # fmt: skip
#: The dunders a lesson may name; any other (``__class__``, ``__subclasses__``, ``__globals__`` ...) is refused.
ALLOWED_DUNDERS = frozenset(
    {"__name__", "__main__", "__doc__", "__init__", "__repr__", "__str__", "__eq__", "__lt__", "__le__", "__gt__",
     "__ge__", "__hash__", "__len__", "__iter__", "__next__", "__contains__", "__getitem__", "__setitem__",
     "__enter__", "__exit__", "__aenter__", "__aexit__", "__aiter__", "__anext__", "__add__", "__post_init__",
     "__cause__", "__context__", "__notes__", "__suppress_context__", "__bool__", "__call__", "__slots__"}
)  # fmt: skip


class Rejected(ValueError):
    """Why a proposal does not enter the bank: ``reason`` is one of :data:`REASONS` (a metric label),
    ``detail`` says what exactly (for the log)."""

    def __init__(self, reason: str, detail: str) -> None:
        super().__init__(f"{reason}: {detail}")
        self.reason, self.detail = reason, detail


REASONS = (
    "not-json",
    "wrong-shape",
    "answer-out-of-range",
    "syntax-error",
    "concept-not-taught-yet",
    "off-topic",
    "unsafe-code",
    "trivial-tests",
    "revealing-hint",
    "duplicate",
    "solution-fails",
    "starter-passes",
    "mutant-passes",
    "wrong-expected-output",
)


# --- what the model answers --------------------------------------------------------------------------------------


class _Proposed(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


Code = str
_code = Field(min_length=1, max_length=MAX_CODE_CHARS)
_text = Field(min_length=1, max_length=MAX_TEXT_CHARS)
Line = Annotated[str, Field(min_length=1, max_length=MAX_LINE_CHARS)]


class ProposedMutant(_Proposed):
    flaw: Line
    code: Code = _code


class ProposedExercise(_Proposed):
    prompt: str = _text
    hints: tuple[Line, ...] = Field(min_length=3, max_length=5, description="nudge, strategy, near-solution")
    starter_code: Code = Field(max_length=MAX_CODE_CHARS)
    solution: Code = _code
    tests: Code = _code
    mutants: tuple[ProposedMutant, ...] = Field(min_length=2, max_length=4)

    @model_validator(mode="after")
    def _each_hint_and_mutant_is_its_own(self) -> Self:
        """Graded hints say something new each; each mutant is another mistake, none the solution."""
        if len(set(map(_normal, self.hints))) != len(self.hints):
            raise ValueError("hints repeat each other")
        codes = [_normal(m.code) for m in self.mutants]
        if len(set(codes)) != len(codes) or _normal(self.solution) in codes:
            raise ValueError("mutants repeat each other or the solution")
        return self


class ProposedQuestion(_Proposed):
    question: str = _text
    choices: tuple[Line, ...] = Field(min_length=3, max_length=4)
    answer: int = Field(description="index of the correct choice, from 0")
    explanation: str = _text


class ProposedExample(_Proposed):
    title: str = _text
    code: Code = _code
    expected_output: str = Field(min_length=1, max_length=MAX_CODE_CHARS)


class Proposal(_Proposed):
    """A model's reply: new items for one topic level."""

    exercises: tuple[ProposedExercise, ...] = Field(default=(), max_length=2)
    quiz: tuple[ProposedQuestion, ...] = Field(default=(), max_length=3)
    examples: tuple[ProposedExample, ...] = Field(default=(), max_length=1)


def proposal_schema() -> dict[str, Any]:
    """The JSON Schema of a reply, for the conversation API's structured output (``responseFormat``)."""
    return {"name": "lesson_items", "strict": False, **Proposal.model_json_schema()}


# --- the bank of accepted variants -------------------------------------------------------------------------------


class VariantBank(BaseModel):
    """Accepted items of one topic level, oldest first, at most :data:`EXERCISES_KEPT` exercises,
    :data:`QUESTIONS_KEPT` questions and :data:`EXAMPLES_KEPT` examples (the oldest go first)."""

    model_config = ConfigDict(frozen=True, extra="forbid")

    exercises: tuple[Exercise, ...] = ()
    quiz: tuple[QuizQuestion, ...] = ()
    examples: tuple[CodeExample, ...] = ()

    def with_items(self, items: Items) -> VariantBank:
        return VariantBank(
            exercises=(*self.exercises, *items.exercises)[-EXERCISES_KEPT:],
            quiz=(*self.quiz, *items.quiz)[-QUESTIONS_KEPT:],
            examples=(*self.examples, *items.examples)[-EXAMPLES_KEPT:],
        )


@dataclass(frozen=True)
class Items:
    """A proposal's items as the bank's own models, checked but not yet run."""

    exercises: tuple[Exercise, ...]
    quiz: tuple[QuizQuestion, ...]
    examples: tuple[CodeExample, ...]


def curriculum_with_variants(curriculum: Curriculum, banks: Mapping[tuple[str, Difficulty], VariantBank]) -> Curriculum:
    """The curriculum whose levels also hold the accepted variants of ``banks`` (keyed by topic and
    difficulty), after their built-in items: what lessons are composed from. With no variant at all,
    ``curriculum`` itself, whose derived values (``curriculum.derived``) are already computed."""
    if not any(bank.exercises or bank.quiz or bank.examples for bank in banks.values()):
        return curriculum
    topics = []
    for topic in curriculum.topics:
        levels = dict(topic.levels)
        for difficulty in DIFFICULTIES:
            bank = banks.get((topic.slug, difficulty))
            if bank is None:
                continue
            level = levels[difficulty]
            levels[difficulty] = level.model_copy(
                update={
                    "exercises": (*level.exercises, *bank.exercises),
                    "quiz": (*level.quiz, *bank.quiz),
                    "examples": (*level.examples, *bank.examples),
                }
            )
        topics.append(topic.model_copy(update={"levels": levels}))
    return curriculum.model_copy(update={"topics": tuple(topics)})


# --- reading a reply ---------------------------------------------------------------------------------------------


def parse_reply(reply: str) -> Proposal:
    """The proposal the reply ends with (a model may say something first, or fence it in ```)."""
    if len(reply) > MAX_REPLY_CHARS:
        raise Rejected("not-json", f"reply of {len(reply)} characters")
    data = _json_object_ending(reply)
    if "quiz" in data and isinstance(data["quiz"], list):
        for question in data["quiz"]:
            if isinstance(question, dict) and _answer_outside(question):
                raise Rejected("answer-out-of-range", f"answer {question['answer']!r} of {len(question['choices'])}")
    try:
        proposal = Proposal.model_validate(data)
    except ValidationError as error:
        first = error.errors()[0]
        raise Rejected("wrong-shape", f"{'.'.join(map(str, first['loc']))}: {first['msg']}") from None
    if not (proposal.exercises or proposal.quiz or proposal.examples):
        raise Rejected("wrong-shape", "no item proposed")
    return proposal


def _answer_outside(question: dict[str, Any]) -> bool:
    answer, choices = question.get("answer"), question.get("choices")
    return isinstance(answer, int) and isinstance(choices, list) and not 0 <= answer < len(choices)


def _json_object_ending(reply: str) -> dict[str, Any]:
    text = re.sub(r"\s*```\s*$", "", reply.strip())
    decoder = json.JSONDecoder()
    for start in (m.start() for m in re.finditer(r"\{", text)):
        try:
            value, end = decoder.raw_decode(text, start)
        except ValueError:
            continue
        if end == len(text) and isinstance(value, dict):
            return value
    raise Rejected("not-json", "the reply does not end with a JSON object")


# --- the checks before running -----------------------------------------------------------------------------------


def checked_items(proposal: Proposal, curriculum: Curriculum, topic: str, difficulty: Difficulty) -> Items:
    """The proposal's items, once every check that needs no run holds; :class:`Rejected` otherwise."""
    allowed = allowed_concepts(curriculum, topic, difficulty)
    level = curriculum.topic(topic).levels[difficulty]
    taken = {_normal(text) for text in (*(e.prompt for e in level.exercises), *(q.question for q in level.quiz))}
    taken |= {_normal(e.solution) for e in level.exercises}
    for text in _texts(proposal):
        if language := OTHER_LANGUAGES.search(text):
            raise Rejected("off-topic", f"{language.group(0)} in a Python lesson on {topic}: {text[:80]!r}")
    exercises = tuple(_exercise(p, topic, difficulty, allowed) for p in proposal.exercises)
    quiz = tuple(_question(p, topic, difficulty, allowed) for p in proposal.quiz)
    examples = tuple(_example(p, topic, difficulty, allowed) for p in proposal.examples)
    for text in (*(e.prompt for e in exercises), *(e.solution for e in exercises), *(q.question for q in quiz)):
        if _normal(text) in taken:
            raise Rejected("duplicate", f"already in {topic} {difficulty}: {text[:80]!r}")
        taken.add(_normal(text))
    return Items(exercises, quiz, examples)


def _texts(proposal: Proposal) -> list[str]:
    """Every piece of prose and code the learner would read."""
    texts: list[str] = []
    for exercise in proposal.exercises:
        texts += [exercise.prompt, *exercise.hints, exercise.starter_code, exercise.solution, exercise.tests]
    for question in proposal.quiz:
        texts += [question.question, *question.choices, question.explanation]
    for example in proposal.examples:
        texts += [example.title, example.code, example.expected_output]
    return texts


def _normal(text: str) -> str:
    return " ".join(text.split()).casefold()


def _ours(topic: str, difficulty: Difficulty, kind: str, content: str, used: Iterable[Concept]) -> dict[str, Any]:
    """An item's fields that are ours, never the model's: its id (from its content), its difficulty
    (the one asked for), its concepts (read from its code; a variant teaches none)."""
    digest = hashlib.sha256(content.encode()).hexdigest()[:12]
    return {
        "id": f"{topic}-{difficulty}-{kind}-v{digest}",
        "difficulty": difficulty,
        "concepts_used": tuple(sorted(used)),
        "concepts_taught": (),
    }


def _concepts(code: str, what: str, allowed: frozenset[Concept]) -> frozenset[Concept]:
    try:
        tree = ast.parse(code)
    except SyntaxError as error:
        raise Rejected("syntax-error", f"{what}: {error.msg} (line {error.lineno})") from None
    _refuse_unsafe(tree, what)
    used = concepts_in(code)
    if early := sorted(used - allowed):
        raise Rejected("concept-not-taught-yet", f"{what} uses {', '.join(early)}")
    return used


def _refuse_unsafe(tree: ast.AST, what: str) -> None:
    for node in ast.walk(tree):
        modules: list[str] = []
        if isinstance(node, ast.Import):
            modules = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            modules = [node.module or ""] if node.level == 0 else ["relative import"]
        for module in modules:
            if module.split(".")[0] not in ALLOWED_MODULES:
                raise Rejected("unsafe-code", f"{what} imports {module}")
        name = node.id if isinstance(node, ast.Name) else node.attr if isinstance(node, ast.Attribute) else None
        if name is None and isinstance(node, ast.alias):
            name = node.asname or node.name
        forbidden = FORBIDDEN_ATTRIBUTES if isinstance(node, ast.Attribute) else FORBIDDEN_NAMES
        if name is not None and (
            name in forbidden
            or name in FORBIDDEN_NAMES
            or (name.startswith("__") and name.endswith("__") and name not in ALLOWED_DUNDERS)
        ):
            raise Rejected("unsafe-code", f"{what} uses {name}")


def _exercise(
    proposed: ProposedExercise,
    topic: str,
    difficulty: Difficulty,
    allowed: frozenset[Concept],
) -> Exercise:
    for what, code in (
        ("starter_code", proposed.starter_code),
        ("solution", proposed.solution),
        ("tests", proposed.tests),
        *((f"mutant {i}", m.code) for i, m in enumerate(proposed.mutants, start=1)),
    ):
        _concepts(code, what, allowed)
    _refuse_trivial_tests(proposed.solution, proposed.tests)
    code = "\n".join((proposed.starter_code, proposed.solution, proposed.tests))
    exercise = Exercise(
        **_ours(topic, difficulty, "exercise", proposed.prompt + proposed.solution, concepts_in(code)),
        prompt=proposed.prompt,
        hints=proposed.hints,
        starter_code=proposed.starter_code,
        solution=proposed.solution,
        tests=proposed.tests,
        mutants=tuple(Mutant(flaw=m.flaw, code=m.code) for m in proposed.mutants),
    )
    if leaks := revealing_hints(exercise):
        raise Rejected("revealing-hint", f"a hint gives away {leaks[0][1]!r}")
    return exercise


def _refuse_trivial_tests(solution: str, tests: str) -> None:
    """Tests must read what the solution made: an ``assert`` of constants only can never fail."""
    tree = ast.parse(tests)
    asserts = [node for node in ast.walk(tree) if isinstance(node, ast.Assert)]
    if not asserts:
        raise Rejected("trivial-tests", "the tests have no assert")
    for statement in asserts:
        if not any(isinstance(n, ast.Name | ast.Call | ast.Attribute) for n in ast.walk(statement.test)):
            raise Rejected("trivial-tests", f"'{ast.unparse(statement)}' reads no value")
    defined = _names_bound(ast.parse(solution))
    read = {n.id for n in ast.walk(tree) if isinstance(n, ast.Name) and isinstance(n.ctx, ast.Load)}
    if not defined & read:
        raise Rejected("trivial-tests", "the tests use nothing the solution defines")


def _names_bound(tree: ast.AST) -> set[str]:
    bound: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            bound.add(node.id)
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            bound.add(node.name)
    return bound


_CODE_SPAN = re.compile(r"```(?:python)?\n?(.*?)```|`([^`]+)`", re.DOTALL)


def _code_spans(text: str) -> list[str]:
    """The code a question's Markdown quotes: fenced blocks and `inline` spans."""
    return [block or inline for block, inline in _CODE_SPAN.findall(text)]


def _question(
    proposed: ProposedQuestion, topic: str, difficulty: Difficulty, allowed: frozenset[Concept]
) -> QuizQuestion:
    texts = (proposed.question, *proposed.choices, proposed.explanation)
    used: set[Concept] = set()
    for span in (span for text in texts for span in _code_spans(text)):
        try:
            ast.parse(span)
        except SyntaxError:
            continue  # a keyword or a fragment named in prose, not a program
        used |= _concepts(span, "quiz code", allowed)
    try:
        return QuizQuestion(
            **_ours(topic, difficulty, "quiz", proposed.question, used),
            question=proposed.question,
            choices=proposed.choices,
            answer=proposed.answer,
            explanation=proposed.explanation,
        )
    except ValidationError as error:
        raise Rejected("wrong-shape", str(error.errors()[0]["msg"])) from None


def _example(proposed: ProposedExample, topic: str, difficulty: Difficulty, allowed: frozenset[Concept]) -> CodeExample:
    used = _concepts(proposed.code, "example", allowed)
    return CodeExample(
        **_ours(topic, difficulty, "example", proposed.code, used),
        title=proposed.title,
        code=proposed.code,
        expected_output=proposed.expected_output,
    )


# --- running -----------------------------------------------------------------------------------------------------


def snippets_of(items: Items) -> dict[str, str]:
    """What the sandbox runs: each solution, starter and mutant followed by the tests, each example."""
    snippets: dict[str, str] = {}
    for exercise in items.exercises:
        snippets[f"{exercise.id}:solution"] = f"{exercise.solution}\n{exercise.tests}"
        snippets[f"{exercise.id}:starter"] = f"{exercise.starter_code}\n{exercise.tests}"
        for i, mutant in enumerate(exercise.mutants, start=1):
            snippets[f"{exercise.id}:mutant-{i}"] = f"{mutant.code}\n{exercise.tests}"
    for example in items.examples:
        snippets[f"{example.id}:example"] = example.code
    return snippets


class RunOutcome(BaseModel):
    """What running a snippet showed (``course_agent.sandbox.Outcome`` has the same fields)."""

    model_config = ConfigDict(frozen=True, from_attributes=True)

    ok: bool
    stdout: str = ""
    error: str = ""


def judge(items: Items, outcomes: Mapping[str, Any]) -> None:
    """:class:`Rejected` unless the run shows each solution passing its tests, each starter and mutant
    failing them, and each example printing exactly its expected output."""
    ran = {key: RunOutcome.model_validate(outcome) for key, outcome in outcomes.items()}
    for exercise in items.exercises:
        solution = ran[f"{exercise.id}:solution"]
        if not solution.ok:
            raise Rejected("solution-fails", f"{exercise.id}: {solution.error.strip().splitlines()[-1:]}")
        if ran[f"{exercise.id}:starter"].ok:
            raise Rejected("starter-passes", f"{exercise.id}: the starter code already passes the tests")
        for i, mutant in enumerate(exercise.mutants, start=1):
            if ran[f"{exercise.id}:mutant-{i}"].ok:
                raise Rejected("mutant-passes", f"{exercise.id}: the tests accept mutant {i} ({mutant.flaw})")
    for example in items.examples:
        printed = ran[f"{example.id}:example"]
        if not printed.ok or printed.stdout.rstrip("\n") != example.expected_output.rstrip("\n"):
            raise Rejected("wrong-expected-output", f"{example.id} printed {printed.stdout[:200]!r}")
