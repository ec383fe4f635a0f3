"""benchmarks/floors.py measures the floors of a design on Dapr by their consumers and batches: which
apps subscribe, with which batches, and the ratios it reports."""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

import pytest
import yaml

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from compare import MEDIAN_FIGURES
from floors import FAR_MORE, VARIANTS, summary, variant_order
from sidecar_floor import bulk_settings, consumer_subscriptions


def subscriptions(*args: Any) -> list[dict[str, Any]]:
    return list(yaml.safe_load_all(consumer_subscriptions("bench-topic", *args)))


def test_the_floor_with_consumers_subscribes_both_apps_with_ours_batches_by_default() -> None:
    documents = subscriptions()
    assert [d["scopes"] for d in documents] == [["bench-floor-consumers"], ["bench-floor-projection"]]
    assert documents[0]["spec"]["bulkSubscribe"] == bulk_settings("user-progress")
    assert documents[1]["spec"]["bulkSubscribe"] == bulk_settings("course-agent")


def test_the_projection_only_floor_subscribes_the_projection_alone_with_the_course_agents_batches() -> None:
    subscribers, bulk = VARIANTS["projection only, ours' batches"]
    documents = subscriptions(subscribers, bulk)
    assert [d["scopes"] for d in documents] == [["bench-floor-projection"]]
    assert documents[0]["spec"]["topic"] == "bench-topic"
    assert documents[0]["spec"]["bulkSubscribe"] == bulk_settings("course-agent")


def test_far_larger_batches_replace_ours_for_every_subscriber() -> None:
    subscribers, bulk = VARIANTS["both consumers, 1,000 / 1 s"]
    documents = subscriptions(subscribers, bulk)
    assert len(documents) == 2
    assert all(d["spec"]["bulkSubscribe"] == FAR_MORE for d in documents)


def test_an_app_the_floor_does_not_run_cannot_subscribe() -> None:
    with pytest.raises(ValueError, match="not a consumer of the floor"):
        consumer_subscriptions("bench-topic", ("bench-leaderboard",))


def test_the_variants_order_is_reversed_every_other_round() -> None:
    assert variant_order(0) == list(VARIANTS)
    assert variant_order(1) == list(reversed(VARIANTS))
    assert variant_order(2) == list(VARIANTS)


def a_point(rps: float, p50: float, p99: float) -> dict[str, Any]:
    """A point as ``compare.measure`` gives it, the figures that matter here set apart."""
    figures = dict.fromkeys(MEDIAN_FIGURES, p50) | {"throughput_rps": rps, "p99_ms": p99}
    bookkeeping = {"requests": int(rps * 5), "errors": 0, "error_detail": {}, "seconds": 5.0}
    return figures | bookkeeping | {"peak_rss_mb": {}, "cpu_cores": {}}


def test_each_systems_ratios_are_taken_round_by_round_against_the_baseline() -> None:
    rounds = {
        "baseline": [a_point(1000, 20, 40), a_point(500, 40, 80)],
        "floor, no consumers": [a_point(700, 30, 50), a_point(250, 80, 100)],
    }
    ratios = summary(rounds)
    same = "1.00x (1.00-1.00)"
    assert ratios["baseline"] == {"throughput_rps": same, "p50_ms": same, "p99_ms": same}
    # the machine ran at half speed in the second round: each round is set against the baseline's of
    # that round (the ratio of the medians would be 0.63x and 1.83x)
    assert ratios["floor, no consumers"] == {
        "throughput_rps": "0.60x (0.50-0.70)",
        "p50_ms": "1.75x (1.50-2.00)",
        "p99_ms": "1.25x (1.25-1.25)",
    }
