"""The built-in Python curriculum: its data files and schema, its shape, its prerequisite graph, and that
all of its code really runs.

Every snippet is executed out of process, by the service's sandbox driver (``course_agent.sandbox``, the
one that verifies a model's variants). To keep the run short, the snippets of one topic share a single
confined subprocess; the driver runs each one in a fresh ``__main__`` module with its own stdout capture
and a 10 s alarm, and reports per snippet, so a failure always names the exact example or exercise.
"""

from __future__ import annotations

import functools
import re
import subprocess
import sys
import tomllib
from collections import Counter
from dataclasses import asdict
from graphlib import CycleError, TopologicalSorter

import jsonschema
import pytest
import yaml
from pydantic import ValidationError

from course_agent.content import curriculum, read_topic
from course_agent.domain.concepts import CONCEPTS, concepts_in
from course_agent.domain.curriculum import (
    CodeExample,
    Curriculum,
    Exercise,
    Item,
    LevelContent,
    Mutant,
    QuizQuestion,
    Topic,
    allowed_concepts,
    forward_references,
    prerequisite_closure,
    revealing_hints,
    teaching_positions,
)
from course_agent.sandbox import Limits, Outcome, run_batch
from course_agent.schemas import TOPIC_SCHEMA_PATH, load_topic_schema, render_topic_schema
from learnflow_common.curriculum import TOPIC_SLUGS as PLATFORM_TOPIC_SLUGS
from learnflow_common.vocabulary import DIFFICULTIES

REQUIRED_SLUGS = PLATFORM_TOPIC_SLUGS  # the topic ids both services accept
SLUG_RE = re.compile(r"^[a-z0-9]+(?:-[a-z0-9]+)*$")
SNIPPET_TIMEOUT_S = 10
#: What a level's bank must hold so that repeated lessons differ (issue 14), and the wrong solutions
#: each exercise's tests must be shown to reject.
MIN_EXERCISES_PER_LEVEL = 6
MIN_QUESTIONS_PER_LEVEL = 8
MIN_MUTANTS = 2
CURRICULUM = curriculum().topics
TOPIC_SLUGS = curriculum().slugs
topic = curriculum().topic


def _levels() -> list[tuple[Topic, str, LevelContent]]:
    return [(t, d, t.levels[d]) for t in CURRICULUM for d in DIFFICULTIES if d in t.levels]


def _examples() -> list[pytest.param]:
    return [
        pytest.param(t.slug, f"{t.slug}-{d}-example-{i}", ex, id=f"{t.slug}-{d}-example-{i}")
        for t, d, level in _levels()
        for i, ex in enumerate(level.examples, start=1)
    ]


def _exercises() -> list[pytest.param]:
    return [pytest.param(t.slug, ex, id=ex.id) for t, _d, level in _levels() for ex in level.exercises]


def _mutants() -> list[pytest.param]:
    return [
        pytest.param(t.slug, ex, i, mutant, id=f"{ex.id}-mutant-{i}")
        for t, _d, level in _levels()
        for ex in level.exercises
        for i, mutant in enumerate(ex.mutants, start=1)
    ]


def _snippets_of(slug: str) -> dict[str, str]:
    snippets: dict[str, str] = {}
    for d in DIFFICULTIES:
        level = topic(slug).levels[d]
        for i, ex in enumerate(level.examples, start=1):
            snippets[f"{slug}-{d}-example-{i}"] = ex.code
        for exercise in level.exercises:
            snippets[f"{exercise.id}:solution"] = exercise.solution + "\n" + exercise.tests
            snippets[f"{exercise.id}:starter"] = exercise.starter_code + "\n" + exercise.tests
            for i, mutant in enumerate(exercise.mutants, start=1):
                snippets[f"{exercise.id}:mutant-{i}"] = mutant.code + "\n" + exercise.tests
    return snippets


@functools.cache
def _run_topic(slug: str) -> dict[str, dict[str, object]]:
    """Run every snippet of a topic in one fresh, confined interpreter (the service's own sandbox
    driver), in a throwaway working directory."""
    snippets = _snippets_of(slug)
    limits = Limits(
        snippet_seconds=SNIPPET_TIMEOUT_S,
        cpu_seconds=SNIPPET_TIMEOUT_S * len(snippets),
        wall_seconds=SNIPPET_TIMEOUT_S * len(snippets) + 30,
        memory_bytes=1024**3,
    )
    return {key: asdict(outcome) for key, outcome in run_batch(snippets, limits).items()}


# --- shape ---------------------------------------------------------------------------------------------------------


def test_curriculum_has_at_least_twelve_topics_including_the_core_syllabus() -> None:
    assert len(CURRICULUM) >= 12
    assert set(REQUIRED_SLUGS) <= set(TOPIC_SLUGS)


def test_topic_slugs_are_unique_kebab_case_and_listed_in_curriculum_order() -> None:
    assert tuple(t.slug for t in CURRICULUM) == TOPIC_SLUGS
    assert len(set(TOPIC_SLUGS)) == len(TOPIC_SLUGS)
    for slug in TOPIC_SLUGS:
        assert SLUG_RE.match(slug), slug


def test_topic_lookup_returns_the_topic_and_raises_key_error_for_unknown_slugs() -> None:
    assert topic("loops").slug == "loops"
    with pytest.raises(KeyError):
        topic("cobol")


def test_difficulties_are_beginner_intermediate_advanced() -> None:
    assert DIFFICULTIES == ("beginner", "intermediate", "advanced")


@pytest.mark.parametrize("t", CURRICULUM, ids=lambda t: t.slug)
def test_every_topic_has_exactly_the_three_difficulties_and_metadata(t: Topic) -> None:
    assert tuple(t.levels) == DIFFICULTIES
    assert t.title.strip()
    assert t.summary.strip()
    assert t.objectives
    assert all(o.strip() for o in t.objectives)
    assert 0 < t.estimated_minutes <= 240


@pytest.mark.parametrize(("t", "difficulty", "level"), _levels(), ids=[f"{t.slug}-{d}" for t, d, _ in _levels()])
def test_every_level_teaches_with_sections_examples_exercises_and_a_quiz(
    t: Topic, difficulty: str, level: LevelContent
) -> None:
    assert level.objectives
    assert all(o.strip() for o in level.objectives)
    assert 2 <= len(level.sections) <= 3
    for section in level.sections:
        assert section.heading.strip(), section.id
        assert len(section.markdown.strip()) >= 80, section.id
    assert len(level.examples) >= 2
    for ex in level.examples:
        assert ex.title.strip()
        assert ex.code.strip()
        assert ex.expected_output.strip(), ex.title
    assert len(level.exercises) >= 2
    assert len({ex.solution for ex in level.exercises}) == len(level.exercises), "exercises must differ"
    for ex in level.exercises:
        assert ex.prompt.strip()
        assert len(ex.hints) >= 2, "hints are graded: a nudge first, then a more specific one"
        assert all(h.strip() for h in ex.hints)
        assert "assert" in ex.tests
        assert ex.starter_code != ex.solution
    assert len(level.quiz) >= 3


def test_item_ids_are_unique_across_the_whole_curriculum() -> None:
    ids = [item.id for _, _, level in _levels() for item in level.items()]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    assert not duplicates


@pytest.mark.parametrize("question", [q for _, _, level in _levels() for q in level.quiz], ids=lambda q: q.id)
def test_every_quiz_answer_is_a_valid_index_into_three_or_four_distinct_choices(question: QuizQuestion) -> None:
    assert question.question.strip()
    assert question.explanation.strip()
    assert 3 <= len(question.choices) <= 4
    assert len(set(question.choices)) == len(question.choices)
    assert 0 <= question.answer < len(question.choices)


def test_no_answer_position_holds_more_than_35_percent_of_the_bank() -> None:
    """Before any shuffling, the bank itself gives nothing away: always picking one position scores little."""
    positions = Counter(q.answer for _, _, level in _levels() for q in level.quiz)
    total = sum(positions.values())

    assert max(positions.values()) / total <= 0.35, positions


def _first_example() -> CodeExample:
    return CURRICULUM[0].levels["beginner"].examples[0]


def test_the_model_is_frozen() -> None:
    with pytest.raises(ValidationError):
        _first_example().code = "print('changed')"  # type: ignore[misc]


# --- the data files ------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("slug", TOPIC_SLUGS)
def test_every_topic_file_validates_against_the_published_topic_schema(slug: str) -> None:
    document = yaml.safe_load(TOPIC_SCHEMA_PATH.with_name(f"{slug}.yaml").read_text())

    jsonschema.validate(document, load_topic_schema())
    assert read_topic(slug).slug == slug


def test_published_topic_schema_matches_the_model() -> None:
    assert load_topic_schema() == render_topic_schema(), "topic schema file is stale: run `make schemas`"


def _variables_document() -> dict:
    return yaml.safe_load(TOPIC_SCHEMA_PATH.with_name("variables.yaml").read_text())


def test_a_quiz_answer_outside_its_choices_is_refused_at_load() -> None:
    document = _variables_document()
    document["levels"]["beginner"]["quiz"][0]["answer"] = 7

    with pytest.raises(ValidationError, match="not an index"):
        Topic.model_validate(document)


def test_an_item_filed_under_the_wrong_level_is_refused_at_load() -> None:
    document = _variables_document()
    document["levels"]["beginner"]["examples"][0]["difficulty"] = "advanced"

    with pytest.raises(ValidationError, match="advanced but is in the beginner level"):
        Topic.model_validate(document)


def test_an_unknown_concept_is_refused_at_load() -> None:
    document = _variables_document()
    document["levels"]["beginner"]["sections"][0]["concepts_used"] = ["telepathy"]

    with pytest.raises(ValidationError):
        Topic.model_validate(document)


def test_a_topic_listed_before_its_prerequisites_is_refused() -> None:
    with pytest.raises(ValidationError, match="before its prerequisites"):
        Curriculum(topics=(topic("strings"), topic("variables")))


# --- prerequisite graph --------------------------------------------------------------------------------------------


def test_prerequisites_reference_known_slugs_and_never_the_topic_itself() -> None:
    for t in CURRICULUM:
        assert set(t.prerequisites) <= set(TOPIC_SLUGS), t.slug
        assert t.slug not in t.prerequisites


def test_the_prerequisite_graph_is_acyclic() -> None:
    graph = {t.slug: set(t.prerequisites) for t in CURRICULUM}
    try:
        tuple(TopologicalSorter(graph).static_order())
    except CycleError as exc:  # pragma: no cover - only on a broken curriculum
        pytest.fail(f"prerequisite cycle: {exc.args[1]}")


def test_curriculum_order_lists_every_prerequisite_before_its_dependants() -> None:
    position = {slug: i for i, slug in enumerate(TOPIC_SLUGS)}
    for t in CURRICULUM:
        for prerequisite in t.prerequisites:
            assert position[prerequisite] < position[t.slug], f"{prerequisite} must come before {t.slug}"


def test_later_topics_build_on_the_basics() -> None:
    assert "control-flow" in topic("loops").prerequisites
    assert {"collections", "loops"} <= set(topic("comprehensions").prerequisites)
    assert "functions" in topic("classes").prerequisites
    assert CURRICULUM[0].prerequisites == ()


# --- no forward references ----------------------------------------------------------------------------------------


def _code_of(item: Item) -> str | None:
    if isinstance(item, CodeExample):
        return item.code
    if isinstance(item, Exercise):
        return "\n".join((item.starter_code, item.solution, item.tests))
    return None


def test_every_concept_of_the_vocabulary_is_taught_exactly_once() -> None:
    taught = Counter(c for _, _, level in _levels() for item in level.items() for c in item.concepts_taught)

    assert set(taught) == set(CONCEPTS)
    assert not {c: n for c, n in taught.items() if n > 1}


@pytest.mark.parametrize(
    "item", [item for _, _, level in _levels() for item in (*level.examples, *level.exercises)], ids=lambda i: i.id
)
def test_every_code_item_declares_exactly_the_concepts_its_code_uses(item: Item) -> None:
    code = _code_of(item)
    assert code is not None

    assert set(item.concepts_used) == concepts_in(code)


def test_no_item_uses_a_concept_before_the_curriculum_teaches_it() -> None:
    assert forward_references(curriculum()) == {}


def test_the_beginner_levels_of_the_first_topics_need_no_def_and_no_loop() -> None:
    early = [level for t in CURRICULUM[:2] for d, level in t.levels.items() if d == "beginner"]

    for level in early:
        for item in level.items():
            assert not {"def", "return", "for", "while"} & set(item.concepts_used), item.id


def test_an_item_using_a_concept_taught_later_is_found() -> None:
    taught_late = _first_example().model_copy(update={"concepts_used": ("class",)})
    first = CURRICULUM[0]
    beginner = first.levels["beginner"].model_copy(update={"examples": (taught_late,)})
    changed = first.model_copy(update={"levels": {**first.levels, "beginner": beginner}})

    assert forward_references(Curriculum(topics=(changed, *CURRICULUM[1:])))[taught_late.id] == ("class",)


def test_an_item_using_a_concept_of_an_earlier_topic_it_does_not_build_on_is_found() -> None:
    """Curriculum order is not enough: control flow's items format with f-strings, index strings and
    import, all taught in strings, so it must name strings among its prerequisites, though strings
    comes first anyway."""
    control_flow = topic("control-flow")
    cut = control_flow.model_copy(update={"prerequisites": ("variables",)})
    topics = tuple(cut if t.slug == "control-flow" else t for t in CURRICULUM)

    found = forward_references(Curriculum(topics=topics))

    assert found
    assert {concept for concepts in found.values() for concept in concepts} <= {"f-string", "indexing", "import"}
    assert any(item_id.startswith("control-flow-") for item_id in found)


def test_a_topic_builds_on_its_prerequisites_and_theirs() -> None:
    assert prerequisite_closure(curriculum(), "variables") == frozenset()
    assert prerequisite_closure(curriculum(), "loops") == {"control-flow", "variables", "strings"}
    assert "def" in allowed_concepts(curriculum(), "collections", "beginner")
    assert "class" not in allowed_concepts(curriculum(), "errors", "advanced")


def test_each_concept_is_taught_where_the_curriculum_says() -> None:
    where = teaching_positions(curriculum())

    assert where["def"] == ("functions", "beginner")
    assert where["for"] == ("loops", "beginner")
    assert where["class"] == ("classes", "beginner")
    assert where["comprehension"] == ("comprehensions", "beginner")


# --- hints --------------------------------------------------------------------------------------------------------


@pytest.mark.parametrize("exercise", [x for _, _, level in _levels() for x in level.exercises], ids=lambda x: x.id)
def test_no_hint_gives_a_line_of_the_solution_away(exercise: Exercise) -> None:
    assert revealing_hints(exercise) == []


def test_a_hint_quoting_the_answer_expression_is_found() -> None:
    exercise = topic("comprehensions").levels["beginner"].exercises[1]
    leaky = exercise.model_copy(update={"hints": ("`[len(w) for w in words]`",)})

    assert [line for _, line in revealing_hints(leaky)] == ["[len(w) for w in words]"]


# --- the code actually runs ----------------------------------------------------------------------------------------


@pytest.mark.parametrize(("slug", "key", "example"), _examples())
def test_every_example_prints_its_stated_output(slug: str, key: str, example: CodeExample) -> None:
    result = _run_topic(slug)[key]
    assert result["ok"], f"{key} ({example.title}) raised:\n{result['error']}"
    assert str(result["stdout"]).rstrip("\n") == example.expected_output.rstrip("\n"), f"{key} ({example.title})"


@pytest.mark.parametrize(("slug", "exercise"), _exercises())
def test_every_exercise_solution_passes_its_tests(slug: str, exercise: Exercise) -> None:
    result = _run_topic(slug)[f"{exercise.id}:solution"]
    assert result["ok"], f"{exercise.id} solution failed its tests:\n{result['error']}"


@pytest.mark.parametrize(("slug", "exercise"), _exercises())
def test_every_exercise_starter_code_fails_its_tests(slug: str, exercise: Exercise) -> None:
    result = _run_topic(slug)[f"{exercise.id}:starter"]
    assert not result["ok"], f"{exercise.id} starter code already passes the tests; it must be a skeleton"


def test_the_snippet_driver_reports_output_and_failures_per_snippet() -> None:
    """Guards the batching itself: isolation between snippets, stdout capture, and failure reporting."""
    ex = _first_example()
    standalone = subprocess.run(
        [sys.executable, "-I", "-c", ex.code], capture_output=True, text=True, timeout=SNIPPET_TIMEOUT_S, check=False
    )
    assert standalone.returncode == 0
    assert standalone.stdout.rstrip("\n") == ex.expected_output.rstrip("\n")
    results = run_batch({"a": "x = 1\nprint('hi')", "b": "print(x)", "c": "import sys\nsys.exit(3)"}, Limits())
    assert results["a"] == Outcome(ok=True, stdout="hi\n", error="")
    assert not results["b"].ok
    assert "NameError" in results["b"].error
    assert not results["c"].ok


def test_the_topic_files_and_their_schema_ship_as_package_data() -> None:
    pyproject = tomllib.loads((TOPIC_SCHEMA_PATH.parents[3] / "pyproject.toml").read_text())
    shipped = pyproject["tool"]["setuptools"]["package-data"]["course_agent"]

    assert {"content/*.yaml", "content/*.json"} <= set(shipped)
    assert sorted(p.stem for p in TOPIC_SCHEMA_PATH.parent.glob("*.yaml")) == sorted(TOPIC_SLUGS)


@pytest.mark.parametrize(("slug", "exercise", "number", "mutant"), _mutants())
def test_every_exercise_rejects_each_of_its_plausible_wrong_solutions(
    slug: str, exercise: Exercise, number: int, mutant: Mutant
) -> None:
    result = _run_topic(slug)[f"{exercise.id}:mutant-{number}"]
    assert not result["ok"], f"{exercise.id}'s tests accept its mutant {number} ({mutant.flaw})"


@pytest.mark.parametrize("exercise", [p.values[1] for p in _exercises()], ids=[p.id for p in _exercises()])
def test_every_exercise_keeps_at_least_two_plausible_wrong_solutions(exercise: Exercise) -> None:
    assert len(exercise.mutants) >= MIN_MUTANTS, f"{exercise.id} has {len(exercise.mutants)} mutants"
    assert len({m.code.strip() for m in exercise.mutants}) == len(exercise.mutants), "mutants must differ"
    assert all(m.code.strip() != exercise.solution.strip() for m in exercise.mutants), "a mutant is the solution"


@pytest.mark.parametrize("exercise", [p.values[1] for p in _exercises()], ids=[p.id for p in _exercises()])
def test_every_exercise_has_graded_hints_nudge_strategy_near_solution(exercise: Exercise) -> None:
    assert len(exercise.hints) >= 3, f"{exercise.id} has {len(exercise.hints)} hints"
    assert len(set(exercise.hints)) == len(exercise.hints)


@pytest.mark.parametrize(
    ("level_id", "level"), [pytest.param(f"{t.slug}-{d}", lv, id=f"{t.slug}-{d}") for t, d, lv in _levels()]
)
def test_every_level_has_a_bank_large_enough_to_vary_lessons(level_id: str, level: LevelContent) -> None:
    assert len(level.exercises) >= MIN_EXERCISES_PER_LEVEL, f"{level_id}: {len(level.exercises)} exercises"
    assert len(level.quiz) >= MIN_QUESTIONS_PER_LEVEL, f"{level_id}: {len(level.quiz)} quiz questions"
    prompts = [e.prompt for e in level.exercises] + [q.question for q in level.quiz]
    assert len(set(prompts)) == len(prompts), f"{level_id} repeats a prompt"
