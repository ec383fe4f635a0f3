"""Python's cyclic garbage collector, set up for a long-running app, and what it costs, measured.

With CPython's defaults (a young collection every 700 net allocations of container objects, and
full collections that scan every object alive) User Progress spent 0.1-1.0 ms per update collecting
(the collections' pauses summed), and each full collection stopped the process for 50-210 ms,
longer as the active learners' values grew (benchmarks/results/PROFILE.md, "Phase 20"). py-spy never
showed it: a collection runs inside whichever allocation set it off. So, once the app has started:

- ``gc.freeze()`` (``GC_FREEZE_AT_START``): what start-up built (modules, the curriculum, routes,
  pydantic's validators) lives as long as the process, so it goes to a generation the collector never
  scans. Once per process: a test process starts many apps.
- the young generation's threshold (``GC_YOUNG_THRESHOLD``): nearly everything a request allocates
  is freed by reference counting and never costs a collection, so collecting less often does the same
  work in far fewer passes. The trade: each young collection is longer (4-10 ms under load instead of
  ~0.4 ms, about a fourteenth as many), and cycles wait longer to be freed - which is why an actor
  lets go of its values when Dapr deactivates it (``SidecarActor._on_deactivate``) instead of
  leaving them to the collector.

:class:`CollectorPauses` records every collection's pause (``learnflow_gc_pause_seconds``, a
histogram by generation; wall time, which every request of the process waits out) from
``gc.callbacks``, without a lock: a callback can run inside any allocation, including one made while
a metric's lock is held. It allocates nothing the collector tracks, and collections never nest.
"""

from __future__ import annotations

import gc
from bisect import bisect_left
from collections.abc import Iterator
from time import perf_counter
from typing import Any

from prometheus_client import REGISTRY
from prometheus_client.core import HistogramMetricFamily
from prometheus_client.registry import Collector

#: Upper bounds (seconds) of the pause histogram's buckets: a young collection takes from under a
#: millisecond to ~10 ms, a full one of a large heap a tenth of a second or more.
PAUSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0)
GENERATIONS = (0, 1, 2)
_frozen = False


def tune_collector(young_threshold: int, freeze: bool) -> None:
    """``young_threshold``: allocations between young collections (0 keeps Python's); ``freeze``:
    move everything alive now out of the collector's reach, the first time only."""
    global _frozen
    if young_threshold > 0:
        _, middle, oldest = gc.get_threshold()
        gc.set_threshold(young_threshold, middle, oldest)
    if freeze and not _frozen:
        gc.collect()
        gc.freeze()
        _frozen = True


class CollectorPauses(Collector):
    """Each generation's collections: how many, their pauses' sum, and how many ended within each
    bucket. The callback only assigns list items: no lock, and no object the collector tracks."""

    def __init__(self) -> None:
        self._started = 0.0
        self._buckets = {generation: [0] * (len(PAUSE_BUCKETS) + 1) for generation in GENERATIONS}
        self._sums = {generation: [0.0] for generation in GENERATIONS}

    def callback(self, phase: str, info: dict[str, Any]) -> None:
        if phase == "start":
            self._started = perf_counter()
            return
        pause = perf_counter() - self._started
        generation = info["generation"]
        self._buckets[generation][bisect_left(PAUSE_BUCKETS, pause)] += 1
        self._sums[generation][0] += pause

    def collect(self) -> Iterator[HistogramMetricFamily]:
        family = HistogramMetricFamily(
            "learnflow_gc_pause_seconds",
            "Pauses of Python's cyclic garbage collector, by generation (every request of the process waits)",
            labels=["generation"],
        )
        for generation in GENERATIONS:
            counts = list(self._buckets[generation])
            cumulative: list[tuple[str, float]] = []
            total = 0
            for bound, count in zip((*PAUSE_BUCKETS, float("inf")), counts, strict=True):
                total += count
                cumulative.append(("+Inf" if bound == float("inf") else repr(bound), total))
            family.add_metric([str(generation)], cumulative, self._sums[generation][0])
        yield family


GC_PAUSES = CollectorPauses()
REGISTRY.register(GC_PAUSES)
gc.callbacks.append(GC_PAUSES.callback)
