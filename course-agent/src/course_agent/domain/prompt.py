"""What the language model is asked for a new variant of one topic level, from the learner's real
state. Pure.

The model gets the level (its objectives, the concepts it may use, what the bank already holds, so it
does not repeat it) and what the learner got wrong there (the items, their concepts, their recent
scores), and answers with one JSON object of :class:`course_agent.domain.variants.Proposal`'s shape.
Whatever it answers is checked (``domain/variants.py``) and run (``course_agent.sandbox``) before a
learner sees it.
"""

from __future__ import annotations

from dataclasses import dataclass

from course_agent.domain.concepts import Concept
from course_agent.domain.curriculum import Curriculum, allowed_concepts
from course_agent.domain.knowledge import ItemAttempt, LearnerKnowledge
from learnflow_common.vocabulary import Difficulty

SYSTEM_PROMPT = (
    "You are LearnFlow, a patient Python teacher writing new practice material for one level of a "
    "Python course. Answer with exactly one JSON object with the keys `exercises` (at most 2), `quiz` (at "
    "most 3) and `examples` (at most 1), and nothing after it. An exercise has `prompt`, `hints` (3 to 5, "
    "graded: a nudge, then a strategy, then a near-solution that still leaves a line to write; never a "
    "line of the solution), `starter_code` (the skeleton the learner completes; it must fail the tests), "
    "`solution`, `tests` (plain `assert` statements run after the solution, checking its results) and "
    "`mutants` (2 to 4 plausible wrong solutions - off by one, a wrong boundary, a wrong type - each "
    "`{flaw, code}`, which the tests must reject). A quiz question has `question`, 3 or 4 distinct "
    "`choices`, `answer` (the index of the right choice, from 0) and `explanation`. An example has "
    "`title`, `code` and `expected_output` (exactly what the code prints). Use Python 3.11 and only the "
    "concepts listed as allowed; import only from the standard library's teaching modules (math, "
    "collections, itertools, functools, dataclasses, re, json, asyncio, pathlib, ...), never os, sys or "
    "subprocess; no files outside the working directory, no network."
)


@dataclass(frozen=True)
class LearnerFocus:
    """What the learner showed on one topic level: the items they last struggled with there (their
    text), the concepts those use, and their recent scores on the topic."""

    topic: str
    difficulty: Difficulty
    missed: tuple[str, ...] = ()
    weak_concepts: tuple[Concept, ...] = ()
    recent_average: float | None = None


#: At most this many missed items are quoted to the model.
MISSED_QUOTED = 5
#: A right answer that took this many hints, or this many tries, was a struggle all the same.
HELPED_HINTS = 2
HELPED_ATTEMPTS = 3


def _struggled(result: ItemAttempt) -> bool:
    return not result.correct or result.hints_used >= HELPED_HINTS or result.attempts >= HELPED_ATTEMPTS


def focus_of(
    curriculum: Curriculum, knowledge: LearnerKnowledge | None, topic: str, difficulty: Difficulty
) -> LearnerFocus:
    """The learner's state on this topic level, from the agent's projection of their progress: the
    items of the level they last struggled with (wrong, or right only after HELPED_HINTS hints or
    HELPED_ATTEMPTS tries), most recent first."""
    if knowledge is None:
        return LearnerFocus(topic, difficulty)
    level = curriculum.topic(topic).levels[difficulty]
    texts = {e.id: (e.prompt, e.concepts_used) for e in level.exercises}
    texts |= {q.id: (q.question, q.concepts_used) for q in level.quiz}
    latest = sorted(
        ((attempts[-1], item_id) for item_id, attempts in knowledge.items.items() if item_id in texts),
        reverse=True,
    )
    missed = [item_id for _, item_id in latest if _struggled(knowledge.items[item_id][-1])][:MISSED_QUOTED]
    concepts = sorted({c for item_id in missed for c in texts[item_id][1]})
    state = knowledge.topics.get(topic)
    return LearnerFocus(
        topic,
        difficulty,
        missed=tuple(texts[item_id][0] for item_id in missed),
        weak_concepts=tuple(concepts),
        recent_average=state.recent_average if state else None,
    )


def user_prompt(curriculum: Curriculum, focus: LearnerFocus) -> str:
    """The request for one topic level; it ends in prose, never in JSON (a model that only repeats it,
    like Dapr's ``echo`` component, proposes nothing)."""
    subject = curriculum.topic(focus.topic)
    level = subject.levels[focus.difficulty]
    allowed = sorted(allowed_concepts(curriculum, focus.topic, focus.difficulty))
    lines = [
        f"Topic: {subject.title} ({focus.topic}), level {focus.difficulty}.",
        "Objectives of this level:",
        *(f"- {objective}" for objective in level.objectives),
        f"Concepts allowed (taught so far): {', '.join(allowed)}.",
        "Already in the bank (write something different):",
        *(f"- exercise: {exercise.prompt}" for exercise in level.exercises),
        *(f"- question: {question.question}" for question in level.quiz),
    ]
    if focus.missed:
        lines += ["This learner recently got these wrong, or right only with help:", *(f"- {t}" for t in focus.missed)]
    if focus.weak_concepts:
        lines.append(f"Concepts to practise again: {', '.join(focus.weak_concepts)}.")
    if focus.recent_average is not None:
        lines.append(f"Their recent scores on the topic average {focus.recent_average:.0f} of 100.")
    lines.append(
        "Write new exercises and questions for this level that give this learner practice where they "
        "struggle, with more scaffolding than the items they missed. Answer with the JSON object only."
    )
    return "\n".join(lines)
