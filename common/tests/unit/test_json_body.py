"""``json_body`` against the standard library it stands in for (the reference): same values both ways."""

from __future__ import annotations

import json
from typing import Any

from hypothesis import given
from hypothesis import strategies as st

from learnflow_common.dapr import json_body
from learnflow_common.dapr.actors import PLAIN_JSON

#: Any JSON value: strings of every code point, surrogates included (the standard library writes a
#: lone one as an escape), integers beyond 64 bits, finite floats.
JSON_VALUES = st.recursive(
    st.none()
    | st.booleans()
    | st.integers(min_value=-(2**80), max_value=2**80)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.text(st.characters(codec=None, exclude_categories=())),
    lambda children: st.lists(children, max_size=6) | st.dictionaries(st.text(max_size=8), children, max_size=6),
    max_leaves=40,
)


@given(JSON_VALUES)
def test_what_json_body_writes_the_standard_library_reads_as_the_same_value(value: Any) -> None:
    assert json.loads(json_body.encode(value)) == json.loads(json.dumps(value))


@given(JSON_VALUES)
def test_json_body_reads_what_the_standard_library_writes_as_the_same_value(value: Any) -> None:
    written = json.dumps(value)
    assert json_body.decode(written) == json.loads(written)
    assert json_body.decode(written.encode()) == json.loads(written)


def test_a_lone_surrogate_is_written_and_read_as_the_standard_library_does() -> None:
    value = {"item_id": "a\ud800b"}
    assert json.loads(json_body.encode(value)) == value
    assert json_body.decode(json.dumps(value)) == value


def test_keys_keep_their_order_and_the_body_is_compact_utf8() -> None:
    assert json_body.encode({"b": 1, "a": ["é", None, True]}) == '{"b":1,"a":["é",null,true]}'.encode()


def test_what_is_not_json_fails_to_read_as_with_the_standard_library() -> None:
    for text in ("", "{", "[1,]", "nope"):
        try:
            json_body.decode(text)
        except ValueError:
            continue
        raise AssertionError(f"{text!r} was read")


@given(JSON_VALUES)
def test_an_actor_answer_is_the_value_the_sdk_serializer_would_write(value: Any) -> None:
    assert json.loads(PLAIN_JSON.serialize(value)) == json.loads(json.dumps(value))
    assert PLAIN_JSON.deserialize(PLAIN_JSON.serialize(value)) == json.loads(json.dumps(value))
