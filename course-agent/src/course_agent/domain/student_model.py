"""How well the learner knows each concept, estimated from their item results. Pure.

Bayesian knowledge tracing (Corbett & Anderson, 1995): each concept is either known or not, and
each answer is a noisy observation of that hidden state. Per concept, ``P(known)`` starts at
``prior``; after each result on an item that exercises the concept it becomes the posterior given
the answer (Bayes' rule with the ``guess`` and ``slip`` rates), then moves towards known by
``learn``, because practising is itself a chance to learn:

- correct:    ``P(known | correct) = p (1 - slip) / (p (1 - slip) + (1 - p) guess)``
- incorrect:  ``P(known | wrong)   = p slip / (p slip + (1 - p) (1 - guess))``
- then:       ``p' = posterior + (1 - posterior) learn``

Every result moves the estimate part of the way from where it was, so the latest results weigh
most and old ones fade: that is what "recent evidence counts more" means here.

Help makes a correct answer weaker evidence. A correct answer reached after extra tries or hints is
more likely without knowing the concept (the learner could eliminate options, or the hint gave
part of the answer), so its guess rate is raised towards ``1 - slip``, where a correct answer
would say nothing: with ``help = (attempts - 1) + hints_used`` and ``strength = 1 / (1 + help)``,
``guess' = guess + (1 - slip - guess) (1 - strength)``. One extra try or hint halves the evidence
(in that sense), two leave a third. A wrong final answer is full evidence whatever the help: help
that did not get the learner there is no reason to doubt it.

An item may exercise several concepts: its result is evidence for each of them, separately (the
usual simplification of BKT without a model of which concept caused a slip). Items the item bank
does not know (``concepts_of`` gives none) are ignored.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass
from typing import Protocol


@dataclass(frozen=True)
class BktParameters:
    """The four BKT parameters, all probabilities. The defaults are the usual starting values of
    the literature, before any fitting to this platform's data:

    - ``prior``: P(known) before any result (0.2: most concepts are new to most learners)
    - ``learn``: P(not known -> known) at each practice opportunity (0.15)
    - ``guess``: P(correct | not known) (0.2: about a four-option question)
    - ``slip``: P(wrong | known) (0.1)

    ``guess + slip`` must stay below 1: otherwise a correct answer would be evidence of not knowing.
    """

    prior: float = 0.2
    learn: float = 0.15
    guess: float = 0.2
    slip: float = 0.1

    def __post_init__(self) -> None:
        for name in ("prior", "learn", "guess", "slip"):
            value = getattr(self, name)
            if not 0.0 <= value <= 1.0:
                raise ValueError(f"{name} must be a probability, got {value}")
        if self.guess <= 0.0 or self.slip <= 0.0 or self.guess + self.slip >= 1.0:
            raise ValueError("guess and slip must be above 0 and guess + slip below 1")


DEFAULT_PARAMETERS = BktParameters()


class ItemEvidence(Protocol):
    """One result on one item (the projection's ``ItemAttempt`` and the event's ``ItemResultV1`` are both)."""

    @property
    def correct(self) -> bool: ...

    @property
    def attempts(self) -> int: ...

    @property
    def hints_used(self) -> int: ...


def evidence_strength(attempts: int = 1, hints_used: int = 0) -> float:
    """1 for a first-try answer without hints; 1 / (1 + extra tries + hints) with help."""
    return 1.0 / (1 + max(attempts - 1, 0) + max(hints_used, 0))


def update(
    p_known: float,
    correct: bool,
    attempts: int = 1,
    hints_used: int = 0,
    parameters: BktParameters = DEFAULT_PARAMETERS,
) -> float:
    """P(known) after one result: the BKT posterior given the answer, then the learning transition
    (see the module docstring for how help weakens a correct answer)."""
    slip, learn = parameters.slip, parameters.learn
    if correct:
        guess = parameters.guess + (1 - slip - parameters.guess) * (1 - evidence_strength(attempts, hints_used))
        if_known, if_unknown = 1 - slip, guess
    else:
        if_known, if_unknown = slip, 1 - parameters.guess
    evidence = p_known * if_known + (1 - p_known) * if_unknown
    posterior = p_known * if_known / evidence
    return min(1.0, max(0.0, posterior + (1 - posterior) * learn))


def concept_mastery(
    item_results_in_order: Iterable[tuple[str, ItemEvidence]],
    concepts_of: Callable[[str], tuple[str, ...]],
    parameters: BktParameters = DEFAULT_PARAMETERS,
) -> dict[str, float]:
    """P(known) per concept after the results, oldest first, of items mapped to concepts by
    ``concepts_of``. Concepts without evidence are absent (their P(known) is ``parameters.prior``)."""
    mastery: dict[str, float] = {}
    for item_id, result in item_results_in_order:
        for concept in dict.fromkeys(concepts_of(item_id)):
            before = mastery.get(concept, parameters.prior)
            mastery[concept] = update(before, result.correct, result.attempts, result.hints_used, parameters)
    return mastery
