"""``json_body`` against the standard library it stands in for (the reference): the same values, of
the same types, both ways; and the actor serializer that uses it, against the SDK's."""

from __future__ import annotations

import json
from datetime import timedelta
from typing import Any

import pytest
from dapr.actor.runtime._reminder_data import ActorReminderData
from dapr.actor.runtime._timer_data import ActorTimerData
from dapr.serializers import DefaultJSONSerializer
from hypothesis import given
from hypothesis import strategies as st

from learnflow_common.dapr import json_body
from learnflow_common.dapr.actors import PLAIN_JSON

#: Every code point, surrogates included (the standard library writes a lone one as an escape).
ANY_TEXT = st.text(st.characters(codec=None, exclude_categories=()))
#: Any JSON value: integers beyond 64 bits, finite floats (negative zero among them).
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | ANY_TEXT,
    lambda children: st.lists(children, max_size=6) | st.dictionaries(ANY_TEXT, children, max_size=6),
    max_leaves=40,
)


def typed(value: Any) -> Any:
    """``value`` with every item's type, floats by their repr, dicts in their keys' order: equal only
    if the values are (``True == 1``, ``1.0 == 1`` and ``-0.0 == 0.0`` are not)."""
    if isinstance(value, dict):
        return ("dict", tuple((key, typed(item)) for key, item in value.items()))
    if isinstance(value, list):
        return ("list", tuple(typed(item) for item in value))
    return (type(value).__name__, repr(value) if isinstance(value, float) else value)


@given(JSON_VALUES)
def test_what_json_body_writes_the_standard_library_reads_as_the_same_value(value: Any) -> None:
    assert typed(json.loads(json_body.encode(value))) == typed(json.loads(json.dumps(value)))


@given(JSON_VALUES)
def test_json_body_reads_any_json_document_as_the_standard_library_does(value: Any) -> None:
    for document in (json.dumps(value), json.dumps(value, ensure_ascii=False), json_body.encode(value)):
        assert typed(json_body.decode(document)) == typed(json.loads(document))
    assert typed(json_body.decode(json_body.encode(value))) == typed(json.loads(json.dumps(value)))


def test_a_lone_surrogate_is_written_and_read_as_the_standard_library_does() -> None:
    value = {"item_id": "a\ud800b", "\udfff": ["\udc00"]}
    assert json.loads(json_body.encode(value)) == value
    assert json_body.decode(json.dumps(value)) == value


def test_keys_keep_their_order_and_the_body_is_compact_utf8() -> None:
    assert json_body.encode({"b": 1, "a": ["é", None, True, -0.0]}) == '{"b":1,"a":["é",null,true,-0.0]}'.encode()


def test_nan_and_infinity_are_written_as_the_standard_library_writes_them() -> None:
    value = [float("nan"), float("inf"), float("-inf")]
    assert json_body.encode(value) == json.dumps(value, separators=(",", ":")).encode()


@pytest.mark.parametrize("document", ["", "{", "[1,]", "nope", b"\xff"])
def test_what_is_not_json_fails_to_read_with_a_value_error_as_with_the_standard_library(document: str | bytes) -> None:
    with pytest.raises(ValueError):  # noqa: PT011 - json.JSONDecodeError and UnicodeDecodeError alike
        json.loads(document)
    with pytest.raises(ValueError):  # noqa: PT011
        json_body.decode(document)


@given(JSON_VALUES)
def test_an_actor_answer_is_written_and_read_as_the_same_value(value: Any) -> None:
    assert typed(json.loads(PLAIN_JSON.serialize(value))) == typed(json.loads(json.dumps(value)))
    assert typed(PLAIN_JSON.deserialize(PLAIN_JSON.serialize(value))) == typed(json.loads(json.dumps(value)))


async def on_tick(state: Any) -> None: ...


@pytest.mark.parametrize(
    "body",
    [
        ActorReminderData("outbox", b"", timedelta(seconds=10), timedelta(minutes=1)).as_dict(),
        ActorReminderData("daily", b"\x00state", timedelta(days=1, milliseconds=500), timedelta(days=1)).as_dict(),
        ActorTimerData("tick", on_tick, {"n": 1}, timedelta(seconds=0.5), timedelta(hours=25)).as_dict(),
        b"raw bytes",
    ],
    ids=["reminder", "reminder-of-a-day", "timer", "bytes"],
)
def test_the_sdks_own_bodies_are_written_as_the_sdk_writes_them(body: Any) -> None:
    """Reminders' and timers' times as Go durations (``0h1m0s0ms0μs``), not ISO 8601, which daprd
    reads only in part (no fractions of a second, no periods of days)."""
    assert PLAIN_JSON.serialize(body) == DefaultJSONSerializer().serialize(body)
