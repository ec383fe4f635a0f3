"""benchmarks/compare.py measures each point in rounds: the figures it reports of them."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[2] / "benchmarks"))

from compare import cpu_per_update, markdown, over_rounds, ratio_over_rounds

RESULTS = Path(__file__).resolve().parents[2] / "benchmarks" / "results"


def a_round(rps: float, p50: float, p99: float, **extra: Any) -> dict[str, Any]:
    return {
        "requests": int(rps * 5),
        "errors": 0,
        "error_detail": {},
        "throughput_rps": rps,
        "p50_ms": p50,
        "p90_ms": p50 * 1.5,
        "p99_ms": p99,
        "max_ms": p99 * 2,
        "mean_ms": p50 * 1.1,
        "seconds": 5.0,
        "peak_rss_mb": {"user-progress": 120.0},
        "cpu_cores": {"user-progress": 0.5, "postgres": 0.2},
        **extra,
    }


def test_one_round_is_reported_as_measured() -> None:
    measured = a_round(300.0, 4.0, 40.0)
    point = over_rounds([measured])
    assert {key: point[key] for key in measured} == measured
    assert point["rounds"] == [{"throughput_rps": 300.0, "p50_ms": 4.0, "p99_ms": 40.0}]


def test_a_round_with_a_stall_moves_no_figure_of_three() -> None:
    point = over_rounds([a_round(300.0, 4.0, 40.0), a_round(100.0, 9.0, 400.0), a_round(310.0, 3.9, 38.0)])
    assert (point["throughput_rps"], point["p50_ms"], point["p99_ms"]) == (300.0, 4.0, 40.0)
    assert point["requests"] == 1500 + 500 + 1550
    assert point["seconds"] == 15.0


def test_each_process_cpu_is_its_median_and_memory_its_peak() -> None:
    point = over_rounds(
        [
            a_round(300.0, 4.0, 40.0, cpu_cores={"user-progress": share}, peak_rss_mb={"up": rss})
            for share, rss in ((0.4, 110.0), (0.9, 140.0), (0.5, 120.0))
        ]
    )
    assert point["cpu_cores"] == {"user-progress": 0.5}
    assert point["peak_rss_mb"] == {"up": 140.0}


def test_the_drains_cpu_is_counted_over_every_rounds_answers() -> None:
    def with_drain(cpu: float, lag: int, drained: float | None) -> dict[str, Any]:
        return a_round(
            200.0,
            5.0,
            50.0,
            consumer_lag={"user-progress": lag},
            drain_before_seconds=1.0,
            drain_seconds=drained,
            drain_cpu_seconds={"user-progress": cpu},
        )

    point = over_rounds([with_drain(0.3, 100, 2.0), with_drain(0.6, 300, 3.0), with_drain(0.3, 200, 1.0)])
    assert point["drain_cpu_seconds"] == {"user-progress": 1.2}
    assert point["consumer_lag"] == {"user-progress": 200}
    assert point["drain_seconds"] == 3.0
    # 1.2 s of drain over the 3,000 answers of the three rounds: +0.40 ms per update
    assert "user-progress +0.40" in cpu_per_update("ours", point)
    undrained = over_rounds([with_drain(0.3, 100, 2.0), with_drain(0.3, 100, None)])
    assert undrained["drain_seconds"] is None
    assert "not within 120 s" in cpu_per_update("ours", undrained)
    not_drained_before = with_drain(0.3, 100, 2.0) | {"drain_before_seconds": None}
    assert over_rounds([with_drain(0.3, 100, 2.0), not_drained_before])["drain_before_seconds"] is None


def test_a_ratio_is_the_median_of_the_rounds_ratios_not_the_ratio_of_medians() -> None:
    ours = over_rounds([a_round(100.0, 4.0, 40.0), a_round(200.0, 4.0, 40.0), a_round(300.0, 4.0, 40.0)])
    base = over_rounds([a_round(1000.0, 1.0, 10.0), a_round(400.0, 1.0, 10.0), a_round(600.0, 1.0, 10.0)])
    # round by round 0.10, 0.50, 0.50; the medians' ratio would be 200 / 600 = 0.33
    assert ratio_over_rounds(ours, base, "throughput_rps") == "0.50x (0.10-0.50)"
    assert ratio_over_rounds(ours, base, "p50_ms") == "4.00x (4.00-4.00)"


def test_a_report_written_before_rounds_renders_its_ratios_as_before() -> None:
    report = json.loads((RESULTS / "compare.json").read_text())
    for point in report["points"].values():
        point.pop("rounds", None)
    report["config"].pop("rounds", None)
    ours, base = report["points"]["ours/update-spread/1"], report["points"]["baseline/update-spread/1"]
    expected = f"{ours['p50_ms'] / base['p50_ms']:.2f}x"
    assert ratio_over_rounds(ours, base, "p50_ms") == expected
    assert f"| {expected} |" in markdown(report)
    assert "One round: each figure is one point." in markdown(report)
