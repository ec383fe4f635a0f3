"""benchmarks/app_variants.py reads each variant as a name and the variables it sets, and gives each
update point learners of its own."""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from app_variants import parse_variant, point_learners


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


def test_update_points_never_share_learners_so_none_of_their_events_is_late() -> None:
    prefixes = [point_learners("update", "var1", name, number) for name in ("a", "b") for number in range(3)]
    assert len(set(prefixes)) == len(prefixes)
    assert all(prefix.startswith("var1-") for prefix in prefixes)


def test_status_points_read_the_learners_made_known_once() -> None:
    assert {point_learners("status", "var1", name, number) for name in ("a", "b") for number in range(3)} == {"var1"}
