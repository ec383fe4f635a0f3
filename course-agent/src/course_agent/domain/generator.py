"""The built-in lesson generator: which topic and level, then the lesson itself. Pure.

The choice reads the student model (``selection.py``: per topic level and per concept, from the
learner's item results), in a teacher's order, unless the learner asked for a topic:

1. a failing prerequisite: a topic the learner is working on, or would start next, builds on one
   whose recent results (or a concept it teaches) are failing: that one is shored up first;
2. reviews that are due (spaced repetition): a short mixed retrieval set drawn from up to
   REVIEW_TOPICS due topics, each at the level the learner has learned, never above it;
3. remediation of any other failing topic, weakest first, weighted to recent results (a recent
   recovery counts);
4. the next step in curriculum order among topics whose prerequisites the learner can build on:
   the first level of a topic not yet passed, once the learner has learned the levels of other
   topics its items read (``curriculum.level_needs``: lists are variables at intermediate). A
   level is passed only on results at that level plus a delayed check a day later, so one perfect
   lesson does not skip the next levels; while the check is not due yet, the next topic comes first;
5. only levels waiting for their check: practice at such a level;
6. everything passed: the least-mastered topic, at advanced level.

Without item results on a topic (clients that send none) only User Progress's mastery speaks for
it: PROFICIENT counts as done, and lessons on it start at beginner. Every choice carries its
reason in plain words (``Choice.rationale``, the lesson's ``rationale``).

Composition serves items fresh first (``selection.fresh_first``): never served nor answered, then
not in the learner's latest lesson on the topic, then the weakest evidence; so two lessons on the
same topic and level share nothing while the bank has unseen items. Remediation is a different
worked example with more scaffolding: a lower level's example, a smaller exercise first with its
hints laid out. Each question's choices are shuffled per lesson (seeded by the lesson id).
Deterministic given its inputs and seed.
"""

from __future__ import annotations

import random
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from typing import TypeVar

from course_agent.domain.curriculum import (
    CodeExample,
    Curriculum,
    LevelContent,
    Topic,
    level_needs,
    teaching_positions,
)
from course_agent.domain.curriculum import Exercise as CurriculumExercise
from course_agent.domain.curriculum import QuizQuestion as CurriculumQuestion
from course_agent.domain.knowledge import LearnerKnowledge
from course_agent.domain.lesson import Example, Exercise, Lesson, QuizQuestion, Section
from course_agent.domain.selection import (
    MIN_CORRECT_TO_PASS,
    PASS_P,
    ItemT,
    StudentState,
    fresh_first,
    recent_weighted_average,
    student_state,
)
from learnflow_common.vocabulary import DIFFICULTIES, PROFICIENT, Difficulty

WEAK_SCORE = 60
BUILTIN = "builtin"
EXERCISES_PER_LESSON = 2
QUESTIONS_PER_LESSON = 3
#: A review mixes at most this many due topics, and asks this many questions in all.
REVIEW_TOPICS = 3
REVIEW_QUESTIONS = 4

#: What the learner's recent lessons on each topic served: topic -> item ids per lesson, oldest first.
Served = Mapping[str, Sequence[Sequence[str]]]
T = TypeVar("T")


@dataclass(frozen=True)
class Choice:
    topic: str
    difficulty: Difficulty
    rationale: str
    remediation: bool = False
    #: A review's mixed retrieval set: each due topic with the level it is reviewed at, ``topic`` first.
    review: tuple[tuple[str, Difficulty], ...] = ()


def choose(
    curriculum: Curriculum,
    knowledge: LearnerKnowledge | None,
    now: datetime,
    requested_topic: str | None = None,
    requested_difficulty: Difficulty | None = None,
    planned_topics: frozenset[str] = frozenset(),
) -> Choice:
    """``planned_topics``: topics with a lesson generated since the learner last worked on them;
    the next new topic skips those, so back-to-back requests do not claim the same next lesson."""
    known = knowledge or LearnerKnowledge(learner_id="")
    known = replace(  # only what the curriculum can teach (old data may name other topics)
        known, topics={name: state for name, state in known.topics.items() if name in curriculum.slugs}
    )
    state = student_state(curriculum, known)
    if requested_topic is not None:
        level, why = _level_to_teach(state, requested_topic)
        failing = [p for p in curriculum.topic(requested_topic).prerequisites if _failing(state, known, p)]
        warning = (
            f"; it builds on {', '.join(repr(p) for p in failing)}, failing: a refresher comes first" if failing else ""
        )
        return _with_difficulty(
            Choice(requested_topic, level, f"requested topic; {why}{warning}"), requested_difficulty
        )
    choice = (
        _failing_prerequisite(curriculum, state, known, now, planned_topics)
        or _review(state, known, now)
        or _remediation(curriculum, state, known)
        or _next_step(curriculum, state, now, planned_topics)
        or _deepen(curriculum, state)
    )
    return _with_difficulty(choice, requested_difficulty)


def _with_difficulty(choice: Choice, requested: Difficulty | None) -> Choice:
    if requested is None:
        return choice
    review = ((choice.topic, requested), *choice.review[1:]) if choice.review else ()
    return replace(
        choice,
        difficulty=requested,
        rationale=f"{choice.rationale}; difficulty {requested} as requested",
        review=review,
    )


def _level_to_teach(state: StudentState, topic: str) -> tuple[Difficulty, str]:
    """The level a lesson on ``topic`` should be at, and why."""
    if not state.has_evidence(topic):
        return "beginner", "beginner: no item results on it yet"
    level = state.level_to_teach(topic) or "advanced"
    evidence = state.level(topic, level)
    index = DIFFICULTIES.index(level)
    if not evidence.results and index > 0:
        below = DIFFICULTIES[index - 1]
        return level, f"{level}: {below} passed ({state.level(topic, below).describe()}, confirmed on a later day)"
    if evidence.ready_to_advance and not evidence.delayed_check_passed:
        return level, f"{level} until a check on a later day confirms it ({evidence.describe()})"
    return level, (
        f"{level}: {evidence.describe()} at this level; moving on needs {MIN_CORRECT_TO_PASS} correct, "
        f"an estimated {PASS_P:.0%} chance it is known, and a check on a later day"
    )


def _failing(state: StudentState, known: LearnerKnowledge, topic: str) -> tuple[Difficulty, str] | None:
    """The topic's failing level and how it fails, if it does (item results, else recent scores)."""
    level = state.failing_level(topic)
    if level is not None:
        return level, f"recent results on '{topic}' ({level}) are failing: {state.level(topic, level).describe()}"
    scores = known.topics[topic].scores if topic in known.topics else ()
    average = recent_weighted_average(scores)
    weak = average is not None and average < WEAK_SCORE and state.topic_mastery.get(topic, 0) < PROFICIENT
    if weak and not state.has_evidence(topic):
        return "beginner", f"recent scores on '{topic}' come to {average:.0f}, the latest weighing most"
    return None


def _failing_prerequisite(
    curriculum: Curriculum, state: StudentState, known: LearnerKnowledge, now: datetime, planned: frozenset[str]
) -> Choice | None:
    """A topic the learner is on, or would start next, builds on a failing one: that one first."""
    upcoming = _next_step(curriculum, state, now, planned)
    taught_at = teaching_positions(curriculum)
    for subject in curriculum.topics:
        if state.complete(subject.slug):
            continue
        if not state.has_evidence(subject.slug) and (upcoming is None or upcoming.topic != subject.slug):
            continue
        for prerequisite in subject.prerequisites:
            if (failing := _failing(state, known, prerequisite)) is not None:
                level, how = failing
                return Choice(
                    prerequisite,
                    level,
                    f"remediation of a prerequisite before anything else: '{subject.slug}' builds on "
                    f"'{prerequisite}', and {how}",
                    remediation=True,
                )
        level = state.level_to_teach(subject.slug) or "advanced"
        used = [c for item in subject.levels[level].items() for c in item.concepts_used]
        for concept, p_known, results in state.failing_concepts(used, outside=subject.slug):
            where, at = taught_at.get(concept, (subject.slug, level))
            if where != subject.slug:
                return Choice(
                    where,
                    at,
                    f"remediation of a prerequisite before anything else: '{subject.slug}' uses {concept}, "
                    f"taught in '{where}' ({at}), and it is failing: {results} answers on other topics give "
                    f"it only an estimated {p_known:.0%} chance of being known",
                    remediation=True,
                )
    return None


def _review(state: StudentState, known: LearnerKnowledge, now: datetime) -> Choice | None:
    """Due topics as a short mixed retrieval set, each at the level learned (beginner if none yet)."""
    due = sorted(
        (topic.next_review_at, name)
        for name, topic in known.topics.items()
        if topic.next_review_at is not None and topic.next_review_at <= now
    )[:REVIEW_TOPICS]
    if not due:
        return None
    parts = tuple((name, state.learned_level(name) or "beginner") for _, name in due)
    listed = ", ".join(f"'{name}' at {level}" for name, level in parts)
    return Choice(
        parts[0][0],
        parts[0][1],
        f"review: {listed} due (spaced repetition); a short mixed retrieval set, each at the level "
        "the learner's results show learned, never above it",
        review=parts,
    )


def _remediation(curriculum: Curriculum, state: StudentState, known: LearnerKnowledge) -> Choice | None:
    """The weakest failing topic, at its failing level."""
    failing = [
        (state.level(slug, found[0]).p_known, slug, found)
        for slug in curriculum.slugs
        if (found := _failing(state, known, slug)) is not None
    ]
    if not failing:
        return None
    _, slug, (level, how) = min(failing)
    return Choice(slug, level, f"remediation: {how}", remediation=True)


def _next_step(curriculum: Curriculum, state: StudentState, now: datetime, planned: frozenset[str]) -> Choice | None:
    """The first topic, in curriculum order, with a level to work on now (see the module docstring)."""
    ready: list[Topic] = []
    waiting: list[Topic] = []
    for subject in curriculum.topics:
        if state.complete(subject.slug) or not all(state.ready_to_build_on(p) for p in subject.prerequisites):
            continue
        level = state.level_to_teach(subject.slug) or "advanced"
        if not all(state.knows_level(t, at) for t, at in level_needs(curriculum, subject.slug, level).items()):
            continue  # its items read what a prerequisite teaches at a level not learned yet
        evidence = state.level(subject.slug, level)
        due = evidence.check_due_at
        if evidence.ready_to_advance and not evidence.delayed_check_passed and due is not None and now < due:
            waiting.append(subject)
        else:
            ready.append(subject)
    if ready:
        unplanned = [subject for subject in ready if subject.slug not in planned]
        subject = (unplanned or ready)[0]
        reason = _next_reason(state, subject, now)
        if subject is not ready[0]:
            reason += f"; '{ready[0].slug}' already has a lesson waiting"
        return Choice(subject.slug, _level_to_teach(state, subject.slug)[0], reason)
    if waiting:
        subject = waiting[0]
        level, _ = _level_to_teach(state, subject.slug)
        evidence = state.level(subject.slug, level)
        due = evidence.check_due_at
        assert due is not None, "a waiting level has a success"
        return Choice(
            subject.slug,
            level,
            f"practice: '{subject.slug}' ({level}) went well ({evidence.describe()}); the check on a later "
            f"day that moves it on is due from {due:%Y-%m-%d %H:%M} UTC, and nothing new is open until then",
        )
    return None


def _next_reason(state: StudentState, subject: Topic, now: datetime) -> str:
    if not state.has_evidence(subject.slug) and subject.slug not in state.topic_mastery:
        if subject.prerequisites:
            return "next topic: its prerequisites are learned"
        return "next topic: a starting point with no prerequisites"
    level, why = _level_to_teach(state, subject.slug)
    evidence = state.level(subject.slug, level)
    due = evidence.check_due_at
    first = evidence.first_success_at
    if evidence.ready_to_advance and due is not None and first is not None and now >= due:
        return (
            f"delayed check of '{subject.slug}' ({level}): it went well on {first:%Y-%m-%d} "
            f"({evidence.describe()}); a success now, a day or more later, moves it on to the next level"
        )
    if not evidence.results and level != "beginner":
        return f"advancing '{subject.slug}' to {why}"
    return f"continuing '{subject.slug}' at {why}"


def _deepen(curriculum: Curriculum, state: StudentState) -> Choice:
    weakest = min(
        curriculum.topics,
        key=lambda t: (state.level(t.slug, "advanced").p_known, state.topic_mastery.get(t.slug, 0), t.slug),
    )
    return Choice(weakest.slug, "advanced", f"all topics mastered; deepening the least mastered, '{weakest.slug}'")


def _exercise(exercise: CurriculumExercise) -> Exercise:
    return Exercise(
        id=exercise.id,
        prompt=exercise.prompt,
        starter_code=exercise.starter_code,
        hints=list(exercise.hints),
        reference_solution=exercise.solution,
        tests=exercise.tests,
    )


def shuffled(question: CurriculumQuestion, lesson_id: str) -> QuizQuestion:
    """The question with its choices in an order of its own for this lesson (the same on every call),
    so where the right answer sits says nothing; ``choice_order`` maps each shown choice back."""
    order = list(range(len(question.choices)))
    random.Random(f"{lesson_id}/{question.id}").shuffle(order)
    return QuizQuestion(
        id=question.id,
        question=question.question,
        choices=[question.choices[i] for i in order],
        answer=order.index(question.answer),
        explanation=question.explanation,
        choice_order=order,
    )


@dataclass(frozen=True)
class _Picker:
    """Serves a learner's items fresh first (see ``selection.fresh_first``)."""

    knowledge: LearnerKnowledge
    state: StudentState
    served: Served
    previous_lessons: int

    def exercises(self, topic: str, level: LevelContent) -> list[CurriculumExercise]:
        return self._fresh(topic, level.exercises, EXERCISES_PER_LESSON)

    def questions(self, topic: str, level: LevelContent) -> list[CurriculumQuestion]:
        return self._fresh(topic, level.quiz, QUESTIONS_PER_LESSON)

    def _fresh(self, topic: str, bank: Sequence[ItemT], per_lesson: int) -> list[ItemT]:
        # what lessons on other topics served (a review mixes topics) counts as seen, not as the latest
        elsewhere = tuple(
            i for other, lessons in self.served.items() if other != topic for lesson in lessons for i in lesson
        )
        served = (elsewhere, *self.served.get(topic, ()))
        return fresh_first(
            bank,
            served=served,
            evidence=self.knowledge.items,
            lessons_before=self.previous_lessons,
            per_lesson=per_lesson,
        )


def compose(
    curriculum: Curriculum,
    choice: Choice,
    knowledge: LearnerKnowledge | None,
    *,
    learner_id: str,
    lesson_id: str,
    created_at: datetime,
    seed: int,
    previous_lessons_on_topic: int = 0,
    served: Served | None = None,
    request_id: str | None = None,
) -> Lesson:
    """The lesson for ``choice``. ``served``: the item ids of the learner's recent lessons per topic
    (what they have seen without answering yet); ``previous_lessons_on_topic`` rotates the order
    among equally fresh items, so lessons differ even without that history."""
    known = knowledge or LearnerKnowledge(learner_id=learner_id)
    subject = curriculum.topic(choice.topic)
    state = student_state(curriculum, known)
    picker = _Picker(known, state, served or {}, previous_lessons_on_topic)
    if choice.review:
        parts = _review_parts(curriculum, choice, picker, previous_lessons_on_topic)
    elif choice.remediation:
        parts = _remediation_parts(curriculum, choice, picker, previous_lessons_on_topic)
    else:
        parts = _lesson_parts(subject.levels[choice.difficulty], subject.slug, picker)
    sections, examples, exercises, quiz, objectives = parts
    gaps = [p for p in subject.prerequisites if not state.ready_to_build_on(p) or _failing(state, known, p)]
    if gaps and not choice.review:
        refreshers = "\n".join(f"- **{curriculum.topic(p).title}**: {curriculum.topic(p).summary}" for p in gaps)
        sections.insert(0, Section(heading="Refresher first", markdown=f"This lesson builds on:\n\n{refreshers}"))
    random.Random(seed).shuffle(quiz)
    title = (
        "Review: " + ", ".join(f"{curriculum.topic(t).title} ({level})" for t, level in choice.review)
        if choice.review
        else f"{subject.title} ({choice.difficulty})"
    )
    minutes = subject.estimated_minutes + (10 if choice.remediation else 0)
    return Lesson(
        lesson_id=lesson_id,
        learner_id=learner_id,
        topic=subject.slug,
        difficulty=choice.difficulty,
        title=title,
        objectives=objectives,
        estimated_minutes=max(10, minutes // 2) if choice.review else minutes,
        sections=sections,
        examples=examples,
        exercises=[_exercise(e) for e in exercises],
        quiz=[shuffled(q, lesson_id) for q in quiz],
        prerequisites=list(subject.prerequisites),
        rationale=choice.rationale,
        generator=BUILTIN,
        request_id=request_id,
        created_at=created_at,
    )


_Parts = tuple[list[Section], list[Example], list[CurriculumExercise], list[CurriculumQuestion], list[str]]


def _example(example: CodeExample) -> Example:
    return Example(title=example.title, code=example.code, expected_output=example.expected_output)


def _lesson_parts(level: LevelContent, topic: str, picker: _Picker) -> _Parts:
    return (
        [Section(heading=s.heading, markdown=s.markdown) for s in level.sections],
        [_example(e) for e in level.examples],
        picker.exercises(topic, level)[:EXERCISES_PER_LESSON],
        picker.questions(topic, level)[:QUESTIONS_PER_LESSON],
        list(level.objectives),
    )


def _remediation_parts(curriculum: Curriculum, choice: Choice, picker: _Picker, previous: int) -> _Parts:
    """More scaffolding: a lower level's worked example and exercise first (or the level's smallest
    exercise), a worked example other than last time's, and the warm-up's hints laid out."""
    subject = curriculum.topic(choice.topic)
    level = subject.levels[choice.difficulty]
    index = DIFFICULTIES.index(choice.difficulty)
    lower = subject.levels[DIFFICULTIES[index - 1]] if index > 0 else None
    at_level = picker.exercises(subject.slug, level)
    if lower is not None:
        warm_up = picker.exercises(subject.slug, lower)[0]
    else:
        warm_up = min(at_level[: EXERCISES_PER_LESSON + 1], key=lambda e: len(e.solution))
    exercises = [warm_up, *[e for e in at_level if e is not warm_up][:EXERCISES_PER_LESSON]]
    examples = (
        [*_rotated(lower.examples, previous)[:1], *_rotated(level.examples, previous)]
        if lower
        else _rotated(level.examples, previous)
    )
    steps = "\n".join(f"{number}. {hint}" for number, hint in enumerate(warm_up.hints, start=1))
    sections = [
        *(Section(heading=s.heading, markdown=s.markdown) for s in level.sections),
        Section(heading="Let's shore this up", markdown=_weak_spot(curriculum, choice, picker)),
        Section(
            heading="Step by step",
            markdown=f'Start with the smaller exercise, "{warm_up.id}". Its hints, all at once this time:\n\n{steps}',
        ),
    ]
    return (
        sections,
        [_example(e) for e in examples],
        exercises,
        picker.questions(subject.slug, level)[:QUESTIONS_PER_LESSON],
        list(level.objectives),
    )


def _weak_spot(curriculum: Curriculum, choice: Choice, picker: _Picker) -> str:
    known = picker.knowledge
    evidence = picker.state.level(choice.topic, choice.difficulty)
    title = curriculum.topic(choice.topic).title.lower()
    advice = "Take the exercises slowly, use the hints, and run the tests after each step."
    if evidence.results:
        return f"Your recent results on {title} ({choice.difficulty}): {evidence.describe()}. {advice}"
    scores = known.topics[choice.topic].scores if choice.topic in known.topics else ()
    average = recent_weighted_average(scores)
    if average is not None:
        return f"Your recent scores on {title}, the latest weighing most, come to {average:.0f}. {advice}"
    return "Take the exercises slowly and run the tests after each step."


def _review_parts(curriculum: Curriculum, choice: Choice, picker: _Picker, previous: int) -> _Parts:
    """A short mixed retrieval set: a fresh question or two from every due topic at its level, an
    exercise from the first two, and the first topic's worked example."""
    levels = [(topic, curriculum.topic(topic).levels[level]) for topic, level in choice.review]
    banks = [picker.questions(topic, level) for topic, level in levels]
    quiz: list[CurriculumQuestion] = []
    for round_ in range(REVIEW_QUESTIONS):
        for bank in banks:
            if round_ < len(bank) and len(quiz) < REVIEW_QUESTIONS:
                quiz.append(bank[round_])
    listed = ", ".join(f"{curriculum.topic(t).title.lower()} ({level})" for t, level in choice.review)
    section = Section(
        heading="Retrieval practice",
        markdown=(
            f"This review mixes {listed}. Answer each question from memory before you look anything "
            "up: recalling what you learned is what makes it last. Then check the explanations."
        ),
    )
    objectives = list(dict.fromkeys(o for _, level in levels for o in level.objectives))
    return (
        [section],
        [_example(e) for e in _rotated(levels[0][1].examples, previous)[:1]],
        [picker.exercises(topic, level)[0] for topic, level in levels[:EXERCISES_PER_LESSON]],
        quiz,
        objectives,
    )


def _rotated(items: Sequence[T], by: int) -> list[T]:
    if not items:
        return []
    shift = by % len(items)
    return [*items[shift:], *items[:shift]]
