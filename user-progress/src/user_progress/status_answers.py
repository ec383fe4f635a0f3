"""GET /status answers kept while neither the learner's snapshot nor the moment changes.

A status is a function of the learner's snapshot and of two things of the clock
(``domain.status.status_moment``: the learner's local date, the next review due). GET /status reads
the snapshot on every request, with its ETag, which Dapr's state stores change with every write of
the key: an answer computed from the snapshot of that ETag at the same moment is that same answer,
so it is sent again instead of the snapshot being parsed and the status computed and serialised
again (benchmarks/results/PROFILE.md, Phase 14). Nothing here is read without that check, so a
replica never answers from a snapshot other than the one it has just read. The most recently read
learners are kept, up to a bound (``Settings.status_answers_kept``).
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass
from datetime import datetime

from pydantic import TypeAdapter

from user_progress.domain.status import LearnerStatus, StatusMoment, review_times, status_moment
from user_progress.ledger import Snapshot
from user_progress.views import status_of

#: The JSON of a status, as FastAPI serialises a ``response_model=LearnerStatus`` answer.
STATUS_JSON = TypeAdapter(LearnerStatus)


def status_body(snapshot: Snapshot, now: datetime) -> bytes:
    """The body of GET /status: the reference, computed from the snapshot every time."""
    return STATUS_JSON.dump_json(status_of(snapshot, now))


@dataclass(frozen=True)
class _Answer:
    etag: str
    timezone: str
    reviews: tuple[datetime, ...]
    moment: StatusMoment
    body: bytes


class StatusAnswers:
    def __init__(self, capacity: int) -> None:
        self._capacity = capacity
        self._answers: OrderedDict[str, _Answer] = OrderedDict()

    def kept(self, learner_id: str, etag: str | None, now: datetime) -> bytes | None:
        """The answer computed from the snapshot of ``etag`` at the moment of ``now``, if kept."""
        answer = self._answers.get(learner_id)
        if answer is None or etag is None or answer.etag != etag:
            return None
        if status_moment(answer.timezone, answer.reviews, now) != answer.moment:
            return None
        self._answers.move_to_end(learner_id)
        return answer.body

    def answer(self, learner_id: str, etag: str | None, snapshot: Snapshot, now: datetime) -> bytes:
        """The status of ``snapshot`` at ``now``, kept for the next read of the same snapshot (the
        one of ``etag``; a snapshot without one is not kept)."""
        body = status_body(snapshot, now)
        if etag is None or self._capacity == 0:
            return body
        state = snapshot.fold.state()
        reviews = review_times(state)
        moment = status_moment(state.timezone, reviews, now)
        self._answers[learner_id] = _Answer(etag, state.timezone, reviews, moment, body)
        self._answers.move_to_end(learner_id)
        if len(self._answers) > self._capacity:
            self._answers.popitem(last=False)
        return body
