"""The JSON of the bodies exchanged with the sidecar: requests the apps send it (state transactions,
actor calls) and the actor answers daprd relays back.

pydantic-core's encoder and parser (Rust, already a dependency through pydantic) take a quarter of the
standard library's time to write an update's ~10 KB state transaction and two thirds of it to read a
snapshot (benchmarks/results/PROFILE.md, Phase 19). They give the same values as ``json.dumps`` and
``json.loads``, which stay as the reference (``common/tests/unit/test_json_body.py`` holds both equal)
and as the fallback for the one thing the faster ones refuse: a string holding a lone surrogate
(``"\\ud800"``), which the standard library writes as an escape and reads back, as an escape or as
the code point itself in a ``str``.
"""

from __future__ import annotations

import json
from typing import Any

from pydantic_core import PydanticSerializationError, from_json, to_json


def encode(value: Any) -> bytes:
    """``value`` (JSON's types: dicts with string keys, lists, strings, numbers, booleans, None) as
    compact JSON in UTF-8. Callers pass JSON's types only: values of other types that ``json.dumps``
    refuses (dates, sets, enums, a None key) pydantic-core writes in forms of its own."""
    try:
        return to_json(value)
    except PydanticSerializationError:
        return json.dumps(value, separators=(",", ":")).encode()


def decode(data: bytes | str) -> Any:
    """The value of a JSON document."""
    try:
        return from_json(data)
    except (ValueError, TypeError):  # a str holding a lone surrogate is a TypeError to pydantic-core
        return json.loads(data)
