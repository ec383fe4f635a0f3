"""The built-in lesson generator: which topic and difficulty, then the lesson itself. Pure.

Topic choice, in order, unless the learner asked for a topic:
1. a topic due for review (spaced repetition), most overdue first;
2. remediation: a started topic whose recent scores average below WEAK_SCORE, weakest first;
3. the next topic in curriculum order that is not yet mastered and whose prerequisites all are;
4. everything mastered: the least-mastered topic, at advanced level.
"Mastered" here means mastery >= PROFICIENT (the Proficient level or better).

Difficulty, unless asked for: from the topic's mastery level (Beginner: beginner, Learning:
intermediate, else advanced). Composition skips refreshers of mastered prerequisites, adds a
refresher for the others, adds remediation for weak spots, and rotates exercises and quiz questions
by how many lessons the learner already had on the topic, so two lessons on one topic are not
identical; each question's choices are shuffled per lesson (seeded by the lesson id). Deterministic
given its inputs and seed.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, replace
from datetime import datetime

from course_agent.domain.curriculum import Curriculum, Topic
from course_agent.domain.curriculum import Exercise as CurriculumExercise
from course_agent.domain.curriculum import QuizQuestion as CurriculumQuestion
from course_agent.domain.knowledge import LearnerKnowledge
from course_agent.domain.lesson import Example, Exercise, Lesson, QuizQuestion, Section
from learnflow_common.vocabulary import LEARNING, PROFICIENT, Difficulty

WEAK_SCORE = 60
BUILTIN = "builtin"


@dataclass(frozen=True)
class Choice:
    topic: str
    difficulty: Difficulty
    rationale: str
    remediation: bool = False


def difficulty_for(mastery: int) -> Difficulty:
    if mastery < LEARNING:
        return "beginner"
    if mastery < PROFICIENT:
        return "intermediate"
    return "advanced"


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
    if requested_topic is not None:
        mastery = known.mastery(requested_topic)
        return _with_difficulty(
            Choice(requested_topic, difficulty_for(mastery), f"requested topic (mastery {mastery})"),
            requested_difficulty,
        )
    due = sorted(
        (state.next_review_at, name)
        for name, state in known.topics.items()
        if state.next_review_at is not None and state.next_review_at <= now
    )
    if due:
        name = due[0][1]
        return _with_difficulty(
            Choice(name, difficulty_for(known.mastery(name)), f"'{name}' is due for review (spaced repetition)"),
            requested_difficulty,
        )
    weak = sorted(
        (state.recent_average, name)
        for name, state in known.topics.items()
        if state.recent_average is not None and state.recent_average < WEAK_SCORE and state.mastery < PROFICIENT
    )
    if weak:
        average, name = weak[0]
        return _with_difficulty(
            Choice(name, "beginner", f"remediation: recent scores on '{name}' average {average:.0f}", True),
            requested_difficulty,
        )
    ready = [
        candidate
        for candidate in curriculum.topics
        if known.mastery(candidate.slug) < PROFICIENT
        and all(known.mastery(p) >= PROFICIENT for p in candidate.prerequisites)
    ]
    if ready:
        unplanned = [candidate for candidate in ready if candidate.slug not in planned_topics]
        candidate = (unplanned or ready)[0]
        reason = (
            "next topic: its prerequisites are mastered"
            if candidate.prerequisites
            else "next topic: a starting point with no prerequisites"
        )
        if candidate is not ready[0]:
            reason += f"; '{ready[0].slug}' already has a lesson waiting"
        return _with_difficulty(
            Choice(candidate.slug, difficulty_for(known.mastery(candidate.slug)), reason), requested_difficulty
        )
    weakest = min(curriculum.topics, key=lambda t: (known.mastery(t.slug), t.slug))
    return _with_difficulty(
        Choice(weakest.slug, "advanced", f"all topics mastered; deepening the least mastered, '{weakest.slug}'"),
        requested_difficulty,
    )


def _with_difficulty(choice: Choice, requested: Difficulty | None) -> Choice:
    if requested is None:
        return choice
    return Choice(
        choice.topic, requested, f"{choice.rationale}; difficulty {requested} as requested", choice.remediation
    )


def _rotate(items: tuple[CurriculumExercise, ...], by: int) -> list[CurriculumExercise]:
    if not items:
        return []
    shift = by % len(items)
    return list(items[shift:] + items[:shift])


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


def compose(
    curriculum: Curriculum,
    choice: Choice,
    knowledge: LearnerKnowledge | None,
    *,
    learner_id: str,
    lesson_id: str,
    created_at: datetime,
    previous_lessons_on_topic: int,
    seed: int,
    request_id: str | None = None,
) -> Lesson:
    known = knowledge or LearnerKnowledge(learner_id=learner_id)
    subject: Topic = curriculum.topic(choice.topic)
    level = subject.levels[choice.difficulty]
    rng = random.Random(seed)
    sections = [Section(heading=s.heading, markdown=s.markdown) for s in level.sections]
    unmastered = [p for p in subject.prerequisites if known.mastery(p) < PROFICIENT]
    if unmastered:
        refreshers = "\n".join(f"- **{curriculum.topic(p).title}**: {curriculum.topic(p).summary}" for p in unmastered)
        sections.insert(0, Section(heading="Refresher first", markdown=f"This lesson builds on:\n\n{refreshers}"))
    exercises = _rotate(level.exercises, previous_lessons_on_topic)[:2]
    if choice.remediation and choice.difficulty != "beginner":
        exercises.insert(0, _rotate(subject.levels["beginner"].exercises, previous_lessons_on_topic)[0])
    if choice.remediation:
        average = known.topics[choice.topic].recent_average if choice.topic in known.topics else None
        sections.append(
            Section(
                heading="Let's shore this up",
                markdown=(
                    f"Your recent scores on {subject.title.lower()} average {average:.0f}. "
                    "Take the exercises slowly, use the hints, and run the tests after each step."
                    if average is not None
                    else "Take the exercises slowly and run the tests after each step."
                ),
            )
        )
    quiz = rng.sample(list(level.quiz), k=min(3, len(level.quiz)))
    return Lesson(
        lesson_id=lesson_id,
        learner_id=learner_id,
        topic=subject.slug,
        difficulty=choice.difficulty,
        title=f"{subject.title} ({choice.difficulty})",
        objectives=list(level.objectives),
        estimated_minutes=subject.estimated_minutes + (10 if choice.remediation else 0),
        sections=sections,
        examples=[Example(title=e.title, code=e.code, expected_output=e.expected_output) for e in level.examples],
        exercises=[_exercise(e) for e in exercises],
        quiz=[shuffled(q, lesson_id) for q in quiz],
        prerequisites=list(subject.prerequisites),
        rationale=choice.rationale,
        generator=BUILTIN,
        request_id=request_id,
        created_at=created_at,
    )
