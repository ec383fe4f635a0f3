"""tools/chaos.py's figures from what a run saw (no stack): each must-be-0 figure is counted under
the fault whose window the update was acknowledged in, and any of them fails the run."""

from __future__ import annotations

import argparse
import importlib.util
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]


@pytest.fixture(scope="module")
def chaos() -> ModuleType:
    spec = importlib.util.spec_from_file_location("chaos_tool", REPO / "tools" / "chaos.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


class FakeTail:
    def __init__(self, progress: dict[str, list[str]], counted: dict[str, int]) -> None:
        self.progress, self.counted = progress, counted

    def snapshot(self) -> tuple[dict[str, list[str]], dict[str, int], Any, int, list[str]]:
        from collections import Counter

        return self.progress, self.counted, Counter(), 0, []


def _analyse(
    chaos: ModuleType,
    tmp_path: Path,
    sent: list[tuple[str, float]],
    logs: dict[str, list[str]],
    progress: dict[str, list[str]],
    answers: list[tuple[float, str]] | None = None,
    recorded: dict[str, int] | None = None,
    counted: dict[str, int] | None = None,
) -> dict[str, Any]:
    runner = object.__new__(chaos.Chaos)
    runner.args = argparse.Namespace(
        seconds=1, outage=1, clients=1, learners=1, recover_timeout=10, drain_timeout=10, faults=["postgres", "kafka"]
    )
    runner.run_id = "test"
    runner.stack_path = tmp_path
    runner.run = chaos.Run()
    for process, start in (("postgres", 0.0), ("kafka", 10.0)):
        fault = chaos.FaultRun(process, start=start, killed=start + 2, restarted=start + 4, end=start + 10)
        fault.milestones = {name: start + 5 for name in chaos.MILESTONES}
        fault.recovered = start + 5
        runner.run.faults.append(fault)
    for event_id, acked_at in sent:
        learner = event_id.split("/")[0]
        runner.run.sent[event_id] = chaos.Sent(event_id, learner, acked_at - 0.1, attempts=1, acked_at=acked_at)
        runner.run.ack_times.append(acked_at)
    runner.run.answers = [chaos.Answer(at, kind, 0.01, False) for at, kind in answers or []]
    learners = {
        learner: {"events_recorded": (recorded or {}).get(learner, len(log)), "log": log, "error": None}
        for learner, log in logs.items()
    }
    return runner.analyse(FakeTail(progress, counted or {}), learners, [], 0.0, 20.0)


def test_a_clean_run_passes(chaos: ModuleType, tmp_path: Path) -> None:
    report = _analyse(
        chaos,
        tmp_path,
        sent=[("ada/1", 1.0), ("ada/2", 12.0)],
        logs={"ada": ["ada/1", "ada/2"]},
        progress={"ada/1": ["c1", "c1"], "ada/2": ["c2"]},  # the same id twice: a permitted redelivery
        answers=[(3.0, "503+RA"), (3.5, "no-answer"), (12.0, "200")],
    )

    assert report["passed"], report["failures"]
    assert [row["acknowledged"] for row in report["faults"]] == [1, 1]
    assert report["faults"][0]["redelivered"] == 1
    assert report["faults"][0]["answers_during_outage"] == {"503+RA": 1, "no-answer": 1}
    assert "PASSED" in chaos.markdown(report)


def test_each_must_be_zero_figure_fails_the_run_under_its_fault(chaos: ModuleType, tmp_path: Path) -> None:
    report = _analyse(
        chaos,
        tmp_path,
        sent=[("ada/1", 1.0), ("ada/2", 3.0), ("bob/1", 12.0), ("bob/2", 13.0), ("bob/3", 14.0)],
        logs={"ada": ["ada/1"], "bob": ["bob/1", "bob/1", "bob/2", "bob/3"]},
        progress={"ada/1": ["a1"], "ada/2": ["a2"], "bob/1": ["b1"], "bob/2": ["b2", "b2-other"]},
        answers=[(12.5, "500"), (13.0, "503-no-RA")],
    )

    postgres, kafka = report["faults"]
    assert postgres["lost"] == 1  # ada/2 acknowledged at 3.0, in postgres's window, not in the log
    assert kafka["double_counted"] == 1  # bob/1 logged twice
    assert kafka["conflicting_event_ids"] == 1  # bob/2 published under two CloudEvent ids
    assert kafka["missing_events"] == 1  # bob/3 has no event
    assert kafka["bad_answers"] == {"500": 1, "503-no-RA": 1}
    assert not report["passed"]
    assert "FAILED" in chaos.markdown(report)


def test_events_recorded_beyond_the_log_is_double_counting(chaos: ModuleType, tmp_path: Path) -> None:
    report = _analyse(
        chaos,
        tmp_path,
        sent=[("ada/1", 1.0)],
        logs={"ada": ["ada/1"]},
        progress={"ada/1": ["a1"]},
        recorded={"ada": 2},
    )

    assert report["faults"][0]["double_counted"] == 1
    assert not report["passed"]


def test_an_acknowledged_update_in_the_log_but_not_counted_is_lost_where_the_count_went_wrong(
    chaos: ModuleType, tmp_path: Path
) -> None:
    """What a placement restart did once: the update is logged, its id remembered, but the next one
    was folded onto a snapshot without it, so events_recorded stays one short."""
    report = _analyse(
        chaos,
        tmp_path,
        sent=[("ada/1", 1.0), ("ada/2", 12.0), ("ada/3", 13.0)],
        logs={"ada": ["ada/1", "ada/2", "ada/3"]},
        progress={"ada/1": ["a1"], "ada/2": ["a2"], "ada/3": ["a3"]},
        recorded={"ada": 2},
        counted={"ada/1": 1, "ada/2": 2, "ada/3": 2},
    )

    postgres, kafka = report["faults"]
    assert (postgres["lost"], kafka["lost"]) == (0, 1)
    assert report["learners"]["ada"]["count_diverged_at"]["event_id"] == "ada/3"
    assert any("first went wrong at ada/3" in failure for failure in report["failures"])
    assert not report["passed"]
