"""Python's garbage collector as the apps set it up, and the pauses they report."""

from __future__ import annotations

import gc
from collections.abc import Iterator

import pytest
from fastapi.testclient import TestClient
from prometheus_client import REGISTRY

from devstack.testing import AppAuth
from learnflow_common import collector
from learnflow_common.app import create_dapr_app
from learnflow_common.settings import DaprAppSettings


@pytest.fixture
def collector_as_found() -> Iterator[None]:
    """Each test leaves the process's collector as it found it."""
    thresholds = gc.get_threshold()
    frozen = collector._frozen
    yield
    gc.set_threshold(*thresholds)
    collector._frozen = frozen


def pauses(generation: int, sample: str = "count", **labels: str) -> float:
    value = REGISTRY.get_sample_value(f"learnflow_gc_pause_seconds_{sample}", {"generation": str(generation), **labels})
    assert value is not None
    return value


def test_every_collection_is_counted_with_its_pause_under_its_generation() -> None:
    before = {generation: (pauses(generation), pauses(generation, "sum")) for generation in (0, 1, 2)}
    gc.collect(0)
    gc.collect(2)

    assert pauses(0) == before[0][0] + 1
    assert pauses(1) == before[1][0]
    assert pauses(2) == before[2][0] + 1
    assert pauses(2, "sum") > before[2][1]


def test_the_pause_buckets_add_up_to_the_collections() -> None:
    gc.collect()
    bounds = [repr(bound) for bound in collector.PAUSE_BUCKETS]
    for generation in (0, 1, 2):
        counts = [pauses(generation, "bucket", le=bound) for bound in [*bounds, "+Inf"]]

        assert counts == sorted(counts)
        assert counts[-1] == pauses(generation)


def test_the_young_threshold_is_set_and_start_up_frozen_once(collector_as_found: None) -> None:
    collector._frozen = False
    _, middle, oldest = gc.get_threshold()
    collector.tune_collector(12_345, freeze=True)
    frozen = gc.get_freeze_count()
    made_after = [[index] for index in range(1_000)]
    collector.tune_collector(12_345, freeze=True)

    assert gc.get_threshold() == (12_345, middle, oldest)
    assert frozen > 0
    assert gc.get_freeze_count() == frozen  # the second call froze nothing more
    assert made_after


def test_zero_keeps_pythons_threshold_and_nothing_is_frozen_unless_asked(collector_as_found: None) -> None:
    collector._frozen = False
    gc.set_threshold(700, 10, 10)
    frozen = gc.get_freeze_count()
    collector.tune_collector(0, freeze=False)

    assert gc.get_threshold() == (700, 10, 10)
    assert gc.get_freeze_count() == frozen
    assert not collector._frozen


def test_the_app_sets_up_the_collector_as_configured_once_started(app_auth: AppAuth, collector_as_found: None) -> None:
    gc.set_threshold(700, 10, 10)
    collector._frozen = False
    settings = app_auth.settings(DaprAppSettings, "demo", GC_YOUNG_THRESHOLD=4_321)
    app = create_dapr_app(
        title="demo",
        version="0",
        description="",
        settings=settings,
        routers=[],
        actor_types=[],
        required_components=(),
    )
    assert gc.get_threshold()[0] == 700  # not before it starts
    with TestClient(app):
        assert gc.get_threshold()[0] == 4_321
    assert collector._frozen
