"""`devstack kill NAME` / `devstack restart NAME`: one process of a running stack down and back up,
the rest kept running (for `make chaos`, and to restart one app after a change).

The supervisor (`devstack run`) stops the whole stack when one of its processes exits. Two kinds of
request files in ``<stack>/control/`` change that for one process, and only while they exist (the
supervisor deletes every request when it starts a stack):

- ``hold-NAME``: NAME may be down; the supervisor does not stop the stack when it exits. Written by
  :func:`kill` before it kills the process.
- ``restart-NAME``: the supervisor starts NAME again exactly as it first started it (same argv,
  environment, user, working directory and log file), after stopping it if it still runs, then
  deletes both files. Written by :func:`restart`, which waits for the new process.

A stack whose supervisor serves these requests says so in stack.json (``control_dir``).
"""

from __future__ import annotations

import contextlib
import json
import os
import signal
import time
from pathlib import Path

from devstack.processes import pid_alive, read_live_pid

HOLD = "hold-"
RESTART = "restart-"


class ControlError(RuntimeError):
    """The request cannot be made or was not served; the message says why."""


def control_dir(stack_dir: Path) -> Path:
    return stack_dir / "control"


def held(directory: Path, name: str) -> bool:
    return (directory / f"{HOLD}{name}").exists()


def restart_requests(directory: Path) -> list[str]:
    """Names of the processes whose restart is requested, oldest request first."""
    if not directory.is_dir():
        return []
    files = sorted(directory.glob(f"{RESTART}*"), key=lambda path: path.stat().st_mtime)
    return [path.name.removeprefix(RESTART) for path in files]


def served(directory: Path, name: str) -> None:
    """Deletes NAME's requests: it runs again (or could not be started), no longer held."""
    (directory / f"{RESTART}{name}").unlink(missing_ok=True)
    (directory / f"{HOLD}{name}").unlink(missing_ok=True)


def process_tree(root: int) -> list[int]:
    """``root`` and every process below it (PostgreSQL backends leave the postmaster's group)."""
    parents: dict[int, int] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        with contextlib.suppress(OSError, IndexError, ValueError):
            parents[int(stat.parent.name)] = int(stat.read_text().rsplit(")", 1)[1].split()[1])
    found, frontier = [root], [root]
    while frontier:
        frontier = [pid for pid, parent in parents.items() if parent in frontier]
        found += frontier
    return found


def _served_directory(stack_dir: Path) -> Path:
    """The control folder of the running stack; an error if its supervisor does not serve requests."""
    try:
        info = json.loads((stack_dir / "stack.json").read_text())
    except (OSError, ValueError):
        raise ControlError("no stack is running (`make up` starts one)") from None
    if not info.get("control_dir"):
        raise ControlError(
            "the running stack's supervisor predates `devstack kill/restart`; restart the stack "
            "(`make down && make up`) and try again"
        )
    return Path(info["control_dir"])


def pid_file(stack_dir: Path, name: str) -> Path:
    return stack_dir / "pids" / f"{name}.pid"


def kill(stack_dir: Path, name: str, sig: int = signal.SIGKILL, timeout: float = 10.0) -> int:
    """Sends ``sig`` (kill -9 by default) to NAME and every process below it, after telling the
    supervisor to keep the rest running; returns the pid it killed once it and every process below
    it are gone. The tree is frozen first, so no part of it acts on the death of another (a crash of
    the whole thing)."""
    directory = _served_directory(stack_dir)
    pid = read_live_pid(pid_file(stack_dir, name))
    if pid is None:
        raise ControlError(f"{name} is not running (no live pid in {pid_file(stack_dir, name)})")
    directory.mkdir(parents=True, exist_ok=True)
    (directory / f"{HOLD}{name}").write_text(f"{time.time()}\n")
    tree = process_tree(pid)
    for member in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, signal.SIGSTOP)
    for member in tree:
        with contextlib.suppress(ProcessLookupError):
            os.kill(member, sig)
            if sig != signal.SIGKILL:
                os.kill(member, signal.SIGCONT)
    deadline = time.monotonic() + timeout
    while any(pid_alive(member) for member in tree):
        if time.monotonic() > deadline:
            raise ControlError(f"{name} (pid {pid}) still runs {timeout:.0f}s after signal {sig}")
        time.sleep(0.05)
    return pid


def restart(stack_dir: Path, name: str, timeout: float = 60.0) -> int:
    """Asks the supervisor to start NAME again (stopping it first if it runs); returns the new pid
    once it runs. Readiness is the caller's business (each process has its own)."""
    directory = _served_directory(stack_dir)
    before = read_live_pid(pid_file(stack_dir, name))
    directory.mkdir(parents=True, exist_ok=True)
    request = directory / f"{RESTART}{name}"
    request.write_text(f"{time.time()}\n")
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not request.exists():
            pid = read_live_pid(pid_file(stack_dir, name))
            if pid is not None and pid != before:
                return pid
            raise ControlError(f"the supervisor could not start {name} again (see {stack_dir / 'logs'})")
        time.sleep(0.05)
    raise ControlError(f"the supervisor did not restart {name} within {timeout:.0f}s (is it running?)")
