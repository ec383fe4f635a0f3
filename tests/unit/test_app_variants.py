"""benchmarks/app_variants.py reads each variant as a name and the variables it sets."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from app_variants import parse_variant


def test_a_variant_is_a_name_with_the_variables_it_sets() -> None:
    assert parse_variant("as-built") == ("as-built", {})
    assert parse_variant("quiet:LOG_LEVEL=WARNING") == ("quiet", {"LOG_LEVEL": "WARNING"})
    assert parse_variant("older:PYTHONPATH=/tmp/wt/common/src:/tmp/wt/up/src,LOG_LEVEL=INFO") == (
        "older",
        {"PYTHONPATH": "/tmp/wt/common/src:/tmp/wt/up/src", "LOG_LEVEL": "INFO"},
    )
    assert parse_variant("eq:OPTS=a=b") == ("eq", {"OPTS": "a=b"})


@pytest.mark.parametrize(
    ("text", "why"),
    [("", "has no name"), (":LOG_LEVEL=INFO", "has no name"), ("x:LOG_LEVEL", "not KEY=VALUE"), ("x:=INFO", "not KEY")],
)
def test_a_variant_without_a_name_or_with_a_bare_word_is_refused(text: str, why: str) -> None:
    with pytest.raises(ValueError, match=why):
        parse_variant(text)
