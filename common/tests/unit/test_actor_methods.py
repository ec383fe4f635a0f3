"""Typed actor methods: the caller and the actor share one declaration of what goes through daprd."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Annotated, Any

import pytest
from pydantic import BaseModel, ValidationError

from learnflow_common.dapr.actor_methods import ActorMethod, DictForm


@dataclass(frozen=True)
class Tally:
    """A domain value with its own stored form."""

    count: int
    since: datetime

    def to_dict(self) -> dict[str, Any]:
        return {"count": self.count, "since": self.since.isoformat()}

    @classmethod
    def from_dict(cls, raw: dict[str, Any]) -> Tally:
        return cls(raw["count"], datetime.fromisoformat(raw["since"]))


class Query(BaseModel):
    limit: int
    cursor: str | None = None


StoredTally = Annotated[Tally, DictForm(Tally.from_dict)]
COUNT: ActorMethod[Query, Tally | None] = ActorMethod("Counter", "Count", Query, StoredTally | None)


class Sidecar:
    """Answers every call as the actor would, through JSON."""

    def __init__(self, answer: Any) -> None:
        self.answer = answer
        self.calls: list[tuple[str, str, str, Any]] = []

    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        self.calls.append((actor_type, actor_id, method, json.loads(json.dumps(data))))
        return json.loads(json.dumps(self.answer))


async def test_a_call_names_the_declared_method_and_sends_the_request_as_json() -> None:
    tally = Tally(3, datetime(2026, 11, 20, tzinfo=UTC))
    sidecar = Sidecar(COUNT.answer(tally))

    answer = await COUNT.call(sidecar, "c1", Query(limit=5))

    assert answer == tally
    assert sidecar.calls == [("Counter", "c1", "Count", {"limit": 5, "cursor": None})]


async def test_the_actor_reads_the_request_the_caller_sent() -> None:
    assert COUNT.request_of(COUNT.request(Query(limit=5, cursor="x"))) == Query(limit=5, cursor="x")


async def test_a_domain_value_travels_in_its_own_stored_form() -> None:
    tally = Tally(3, datetime(2026, 11, 20, tzinfo=UTC))

    assert COUNT.answer(tally) == tally.to_dict()
    assert COUNT.answer(None) is None


async def test_an_answer_of_another_shape_is_refused() -> None:
    with pytest.raises(ValidationError):
        await COUNT.call(Sidecar("not a tally"), "c1", Query(limit=5))
