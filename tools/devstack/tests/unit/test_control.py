"""`devstack kill` / `restart`: the supervisor keeps the rest running while one process is held down,
and starts that one again as it first started it (with plain `sleep` processes, no infrastructure)."""

from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pytest

from devstack import control
from devstack.config import StackConfig
from devstack.processes import Console, ManagedProcess, pid_alive, read_live_pid
from devstack.stack import Stack


def _stack(tmp_path: Path) -> Stack:
    config = StackConfig(
        repo=tmp_path, stack_dir=tmp_path, dapr_bin_dir=None, kafka_libs_dir=None, postgres_bin_dir=None, ports={}
    )
    stack = Stack(config, Console(echo=False))
    for name in ("first", "second"):
        process = ManagedProcess(
            name=name,
            # a child of its own too: kill takes the whole tree, as with PostgreSQL's backends
            argv=[sys.executable, "-c", "import subprocess, time; subprocess.Popen(['sleep', '60']); time.sleep(60)"],
            log_path=tmp_path / "logs" / f"{name}.log",
            pid_dir=tmp_path / "pids",
        )
        process.start(stack.console)
        stack.processes.append(process)
    (tmp_path / "stack.json").write_text(json.dumps({"ready": True, "control_dir": str(stack.control_dir)}))
    return stack


def _eventually(check: object, timeout: float = 10.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if check():  # type: ignore[operator]
            return
        time.sleep(0.05)
    raise AssertionError("condition not met")


def test_a_killed_process_is_held_down_then_restarted_while_the_rest_runs(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    watcher = threading.Thread(target=stack.watch, daemon=True)
    watcher.start()
    try:
        first = read_live_pid(tmp_path / "pids" / "first.pid")
        assert first is not None
        _eventually(lambda: len(control.process_tree(first)) == 2)  # the child has started
        tree = control.process_tree(first)

        assert control.kill(tmp_path, "first") == first

        assert not any(pid_alive(pid) for pid in tree)
        time.sleep(1.5)  # several rounds of the supervisor's watch
        assert watcher.is_alive(), "the supervisor stopped the stack for a held process"
        assert stack.processes[1].alive

        again = control.restart(tmp_path, "first")

        assert again != first
        assert stack.processes[0].alive
        assert read_live_pid(tmp_path / "pids" / "first.pid") == again
        assert not list(stack.control_dir.iterdir()), "requests are deleted once served"
    finally:
        stack.request_stop()
        watcher.join(5)
        stack.stop()


def test_a_process_that_dies_unheld_still_stops_the_stack(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    watcher = threading.Thread(target=stack.watch, daemon=True)
    watcher.start()
    try:
        stack.processes[1].popen.kill()  # type: ignore[union-attr]

        _eventually(lambda: not watcher.is_alive())
    finally:
        stack.request_stop()
        stack.stop()


def test_restart_of_a_running_process_stops_it_first(tmp_path: Path) -> None:
    stack = _stack(tmp_path)
    watcher = threading.Thread(target=stack.watch, daemon=True)
    watcher.start()
    try:
        before = read_live_pid(tmp_path / "pids" / "second.pid")

        after = control.restart(tmp_path, "second")

        assert after != before
        assert before is not None
        _eventually(lambda: not pid_alive(before))
        assert watcher.is_alive()
    finally:
        stack.request_stop()
        watcher.join(5)
        stack.stop()


def test_requests_are_refused_by_a_supervisor_that_does_not_serve_them(tmp_path: Path) -> None:
    (tmp_path / "stack.json").write_text(json.dumps({"ready": True}))

    with pytest.raises(control.ControlError, match="predates"):
        control.kill(tmp_path, "postgres")
    with pytest.raises(control.ControlError, match="predates"):
        control.restart(tmp_path, "postgres")
