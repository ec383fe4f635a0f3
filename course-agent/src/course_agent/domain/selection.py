"""What the learner's item results say about each topic level, and which items to serve next. Pure.

The student model (``student_model.py``, Bayesian knowledge tracing) reads the per-item results of
progress events. Each item of the curriculum belongs to one topic level and uses and teaches some
concepts, so the same results give two estimates:

- per **topic level**, P(known) of the level as one skill, traced over the results on its items
  only: the evidence *at that level*;
- per **concept**, P(known) traced over every item that uses or teaches it, leaving out the topic
  being judged: how a prerequisite holds up when other topics lean on it, without blaming it for
  the topic's own struggles.

A level is judged from its evidence, most recent results weighing most:

- *failing*: at least two of its last three results wrong and P(known) below FAILING_P;
- *learned*: at least two correct results and P(known) at least LEARNED_P (a review may serve it);
- *passed*: at least MIN_CORRECT_TO_PASS correct results, P(known) at least PASS_P, and a delayed
  check: a correct result DELAYED_CHECK or more after the first one. One good lesson, however
  perfect, is not enough to move on to the next level: the success must last until a later day.

Items within a level are served fresh first (:func:`fresh_first`): never served nor answered, then
the ones not in the learner's latest lesson on the topic, then the weakest evidence first.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import TypeVar

from course_agent.domain.concepts import Concept
from course_agent.domain.curriculum import Curriculum, Item, derived
from course_agent.domain.knowledge import ItemAttempt, LearnerKnowledge
from course_agent.domain.student_model import DEFAULT_PARAMETERS, concept_mastery
from learnflow_common.vocabulary import DIFFICULTIES, PROFICIENT, Difficulty

FAILING_P = 0.4
LEARNED_P = 0.6
PASS_P = 0.8
MIN_CORRECT_TO_PASS = 3
DELAYED_CHECK = timedelta(days=1)
#: How many of a level's latest results say whether it is failing.
RECENT_RESULTS = 3
#: A concept needs this many results before its estimate can call it failing.
MIN_CONCEPT_RESULTS = 3
#: In a recency-weighted average of scores, each older score weighs this much of the next one.
RECENCY_WEIGHT = 0.6

LevelKey = tuple[str, Difficulty]


@dataclass(frozen=True)
class LevelEvidence:
    """The learner's results on one topic level's items, oldest first, and P(known) of the level."""

    results: tuple[ItemAttempt, ...] = ()
    p_known: float = DEFAULT_PARAMETERS.prior

    @property
    def correct(self) -> int:
        return sum(result.correct for result in self.results)

    @property
    def failing(self) -> bool:
        recent = self.results[-RECENT_RESULTS:]
        return sum(not result.correct for result in recent) >= 2 and self.p_known < FAILING_P

    @property
    def learned(self) -> bool:
        return self.correct >= 2 and self.p_known >= LEARNED_P

    @property
    def first_success_at(self) -> datetime | None:
        return next((result.at for result in self.results if result.correct), None)

    @property
    def check_due_at(self) -> datetime | None:
        """When a success would count as the delayed check (None before any success)."""
        first = self.first_success_at
        return first + DELAYED_CHECK if first is not None else None

    @property
    def delayed_check_passed(self) -> bool:
        due = self.check_due_at
        return due is not None and any(result.correct and result.at >= due for result in self.results)

    @property
    def ready_to_advance(self) -> bool:
        """Enough good evidence at this level, the delayed check aside."""
        return self.correct >= MIN_CORRECT_TO_PASS and self.p_known >= PASS_P

    @property
    def passed(self) -> bool:
        return self.ready_to_advance and self.delayed_check_passed

    def describe(self) -> str:
        """The evidence in a teacher's words, for a rationale."""
        if not self.results:
            return "no results yet"
        chance = min(self.p_known, 0.99)  # an estimate is never a certainty
        return f"{self.correct} of {len(self.results)} answers right, known with an estimated {chance:.0%} chance"


@dataclass(frozen=True)
class StudentState:
    """Per topic level and per concept, what the learner's item results say (see the module docstring);
    ``topic_mastery`` is User Progress's 0-100 score per topic, the only signal for a learner whose
    client sends no item results."""

    levels: Mapping[LevelKey, LevelEvidence] = field(default_factory=dict)
    #: every result on a curriculum item, oldest first, and where each item sits
    results: tuple[tuple[str, ItemAttempt], ...] = ()
    places: Mapping[str, ItemPlace] = field(default_factory=dict)
    topic_mastery: Mapping[str, int] = field(default_factory=dict)

    def level(self, topic: str, difficulty: Difficulty) -> LevelEvidence:
        return self.levels.get((topic, difficulty), LevelEvidence())

    def has_evidence(self, topic: str) -> bool:
        return any(self.level(topic, difficulty).results for difficulty in DIFFICULTIES)

    def learned_level(self, topic: str) -> Difficulty | None:
        """The highest level the learner has learned, by their results at it (None: none yet)."""
        learned = [d for d in DIFFICULTIES if self.level(topic, d).learned or self.level(topic, d).passed]
        return learned[-1] if learned else None

    def level_to_teach(self, topic: str) -> Difficulty | None:
        """The first level not yet passed (None: every level is)."""
        return next((d for d in DIFFICULTIES if not self.level(topic, d).passed), None)

    def knows_level(self, topic: str, difficulty: Difficulty) -> bool:
        """Whether later topics may use what this level teaches: it, or a level above it, learned or
        passed; without item results on the topic, User Progress's mastery at PROFICIENT."""
        if self.has_evidence(topic):
            return self.complete(topic) or any(
                self.level(topic, d).learned or self.level(topic, d).passed
                for d in DIFFICULTIES[DIFFICULTIES.index(difficulty) :]
            )
        return self.topic_mastery.get(topic, 0) >= PROFICIENT

    def complete(self, topic: str) -> bool:
        """Every level passed; without item results, User Progress's mastery says (PROFICIENT)."""
        if self.has_evidence(topic):
            return self.level_to_teach(topic) is None
        return self.topic_mastery.get(topic, 0) >= PROFICIENT

    def ready_to_build_on(self, topic: str) -> bool:
        """Whether later topics may build on it: a level of it learned (beginner, the first), or
        (no item results) User Progress's mastery at PROFICIENT."""
        if self.has_evidence(topic):
            return self.complete(topic) or self.learned_level(topic) is not None
        return self.topic_mastery.get(topic, 0) >= PROFICIENT

    def failing_level(self, topic: str) -> Difficulty | None:
        """The lowest failing level of the topic, if any; a level learned above it since outweighs
        an old failure below it."""
        for index, difficulty in enumerate(DIFFICULTIES):
            evidence = self.level(topic, difficulty)
            if evidence.failing:
                last = evidence.results[-1].at
                later = [self.level(topic, above) for above in DIFFICULTIES[index + 1 :]]
                if not any(e.learned and e.results[-1].at > last for e in later):
                    return difficulty
        return None

    def concept_estimates(
        self, outside: str | None = None, only: Collection[str] | None = None
    ) -> dict[str, tuple[float, int]]:
        """P(known) of each concept with evidence (of ``only`` these, if given), and on how many
        results, from the items of every topic but ``outside``: how a topic's own struggles are kept
        from blaming what it builds on."""
        concepts: dict[str, tuple[Concept, ...]] = {}
        kept: list[tuple[str, ItemAttempt]] = []
        for item_id, result in self.results:  # the learner's results, not every item of the curriculum
            place = self.places.get(item_id)
            if place is None or place.topic == outside:
                continue
            if item_id not in concepts:
                concepts[item_id] = tuple(c for c in place.concepts if only is None or c in only)
            if concepts[item_id]:
                kept.append((item_id, result))
        estimates = concept_mastery(kept, concepts.__getitem__)
        counts: Counter[str] = Counter(concept for item_id, _ in kept for concept in concepts[item_id])
        return {concept: (p, counts[concept]) for concept, p in estimates.items()}

    def failing_concepts(self, concepts: Sequence[Concept], outside: str) -> list[tuple[Concept, float, int]]:
        """Those of ``concepts`` whose estimate from other topics' items, on enough results, is below
        FAILING_P, each with its estimate and number of results."""
        estimates = self.concept_estimates(outside, only=set(concepts))
        failing = []
        for concept in dict.fromkeys(concepts):
            p, count = estimates.get(concept, (DEFAULT_PARAMETERS.prior, 0))
            if count >= MIN_CONCEPT_RESULTS and p < FAILING_P:
                failing.append((concept, p, count))
        return failing


@dataclass(frozen=True)
class ItemPlace:
    """Where an item sits in the curriculum and what it exercises."""

    topic: str
    difficulty: Difficulty
    concepts: tuple[Concept, ...]


@derived
def item_places(curriculum: Curriculum) -> Mapping[str, ItemPlace]:
    """Every item of the curriculum by id: where it sits and what it exercises."""
    return {
        item.id: ItemPlace(topic.slug, difficulty, item.practised_concepts)
        for topic in curriculum.topics
        for difficulty, level in topic.levels.items()
        for item in level.items()
    }


def student_state(curriculum: Curriculum, knowledge: LearnerKnowledge) -> StudentState:
    """What the learner's item results (and topic mastery) say, per topic level and per concept."""
    places = item_places(curriculum)
    results = [(item_id, attempt) for item_id, attempt in knowledge.item_results() if item_id in places]
    by_level: dict[LevelKey, list[ItemAttempt]] = {}
    for item_id, attempt in results:
        place = places[item_id]
        by_level.setdefault((place.topic, place.difficulty), []).append(attempt)
    level_p = concept_mastery(results, lambda item_id: (f"{places[item_id].topic}/{places[item_id].difficulty}",))
    levels = {
        (topic, difficulty): LevelEvidence(tuple(attempts), level_p[f"{topic}/{difficulty}"])
        for (topic, difficulty), attempts in by_level.items()
    }
    return StudentState(
        levels=levels,
        results=tuple(results),
        places=places,
        topic_mastery={name: topic.mastery for name, topic in knowledge.topics.items()},
    )


ItemT = TypeVar("ItemT", bound=Item)


def fresh_first(
    items: Sequence[ItemT],
    *,
    served: Sequence[Sequence[str]] = (),
    evidence: Mapping[str, Sequence[ItemAttempt]] | None = None,
    lessons_before: int = 0,
    per_lesson: int = 1,
) -> list[ItemT]:
    """``items`` in the order to serve them: never served nor answered first; then those not in the
    latest lesson (``served[-1]``: item ids of the learner's recent lessons on the topic, oldest
    first); then the weakest evidence (recent results weighing most). Ties keep the curriculum's
    order rotated by ``per_lesson`` for each of the ``lessons_before`` (by fewer in a bank too
    small for that to change anything), so even without any history two lessons differ."""
    evidence = evidence or {}
    latest = set(served[-1]) if served else set()
    ever = {item_id for lesson in served for item_id in lesson} | set(evidence)
    count = len(items) or 1
    rotation = lessons_before * min(per_lesson, max(count - 1, 1))

    def order(indexed: tuple[int, ItemT]) -> tuple[bool, bool, float, int]:
        index, item = indexed
        return (item.id in ever, item.id in latest, _strength(evidence.get(item.id, ())), (index - rotation) % count)

    return [item for _, item in sorted(enumerate(items), key=order)]


def _strength(results: Sequence[ItemAttempt]) -> float:
    """How well the item went, 0..1, each result weighing twice the one before (0.5: no result)."""
    if not results:
        return 0.5
    weights = [2.0**i for i in range(len(results))]
    return sum(w * r.correct for w, r in zip(weights, results, strict=True)) / sum(weights)


def recent_weighted_average(scores: Sequence[int]) -> float | None:
    """The scores' average with each weighing RECENCY_WEIGHT times the one after it: a recent
    recovery counts, where a flat average of the last ten would still call it failing."""
    if not scores:
        return None
    weights = [RECENCY_WEIGHT ** (len(scores) - 1 - i) for i in range(len(scores))]
    return sum(w * s for w, s in zip(weights, scores, strict=True)) / sum(weights)
