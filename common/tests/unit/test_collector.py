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
from learnflow_common.collector import CollectorPauses
from learnflow_common.settings import DaprAppSettings


@pytest.fixture
def collector_as_found() -> Iterator[None]:
    """Each test leaves the process's collector as it found it (a freeze it made is undone)."""
    thresholds = gc.get_threshold()
    frozen = collector._frozen
    was_frozen = gc.get_freeze_count() > 0
    yield
    gc.set_threshold(*thresholds)
    collector._frozen = frozen
    if not was_frozen:
        gc.unfreeze()


def pauses(generation: int, sample: str = "count") -> float:
    value = REGISTRY.get_sample_value(f"learnflow_gc_pause_seconds_{sample}", {"generation": str(generation)})
    assert value is not None
    return value


def test_every_collection_is_counted_with_its_pause_under_its_generation() -> None:
    gc.disable()  # only the collections asked for below (explicit ones still run, and are reported)
    try:
        before = {generation: (pauses(generation), pauses(generation, "sum")) for generation in (0, 1, 2)}
        gc.collect(0)
        gc.collect(2)
        after = {generation: (pauses(generation), pauses(generation, "sum")) for generation in (0, 1, 2)}
    finally:
        gc.enable()

    assert after[0][0] == before[0][0] + 1
    assert after[1][0] == before[1][0]
    assert after[2][0] == before[2][0] + 1
    assert after[2][1] > before[2][1]


def test_each_pause_falls_in_the_first_bucket_at_least_as_long(monkeypatch: pytest.MonkeyPatch) -> None:
    """Prometheus buckets are inclusive upper bounds (``le``), cumulative, with the pauses' sum."""
    seen = CollectorPauses()
    clock = iter([0.0, 0.001, 10.0, 10.0011, 20.0, 22.0])  # pauses of 1 ms, 1.1 ms and 2 s
    monkeypatch.setattr(collector, "perf_counter", lambda: next(clock))
    for _ in range(3):
        seen.callback("start", {"generation": 1})
        seen.callback("stop", {"generation": 1})

    (family,) = seen.collect()
    samples = {
        (sample.name, sample.labels.get("le")): sample.value
        for sample in family.samples
        if sample.labels["generation"] == "1"
    }
    buckets = {le: value for (name, le), value in samples.items() if name.endswith("_bucket")}
    assert buckets["0.0005"] == 0
    assert buckets["0.001"] == 1  # exactly 1 ms: inclusive
    assert buckets["0.0025"] == 2
    assert buckets["1.0"] == 2
    assert buckets["+Inf"] == 3  # 2 s: past the last bound
    assert samples[("learnflow_gc_pause_seconds_count", None)] == 3
    assert samples[("learnflow_gc_pause_seconds_sum", None)] == pytest.approx(2.0021)
    other_generations = [sample.value for sample in family.samples if sample.labels["generation"] != "1"]
    assert other_generations
    assert not any(other_generations)


def test_the_young_threshold_is_set_and_start_up_frozen_once(collector_as_found: None) -> None:
    collector._frozen = False
    _, middle, oldest = gc.get_threshold()
    made_before = [[index] for index in range(1_000)]
    before = gc.get_freeze_count()
    collector.tune_collector(12_345, freeze=True)
    frozen = gc.get_freeze_count()
    made_after = [[index] for index in range(1_000)]
    collector.tune_collector(12_345, freeze=True)

    assert gc.get_threshold() == (12_345, middle, oldest)
    assert frozen >= before + len(made_before)  # what lived at the first call is frozen
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
