"""Child processes of the stack: started in their own session, logged with a prefix, stopped in order."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import threading
import time
from collections import deque
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

_COLOURS = ["36", "35", "33", "32", "34", "96", "95", "93", "92", "94"]


class Console:
    """Prefixed, coloured lines on stdout; one lock so lines from several processes never mix."""

    def __init__(self, echo: bool) -> None:
        self.echo = echo
        self._lock = threading.Lock()
        self._colours: dict[str, str] = {}
        self._use_colour = sys.stdout.isatty() and os.environ.get("NO_COLOR") is None

    def line(self, name: str, text: str) -> None:
        if not self.echo:
            return
        colour = self._colours.setdefault(name, _COLOURS[len(self._colours) % len(_COLOURS)])
        prefix = f"{name:>22} |"
        if self._use_colour:
            prefix = f"\033[{colour}m{prefix}\033[0m"
        with self._lock:
            print(f"{prefix} {text}", flush=True)

    def say(self, text: str) -> None:
        """A message of the launcher itself: always printed (it is also the background log)."""
        with self._lock:
            print(f"devstack: {text}", flush=True)


@dataclass
class ManagedProcess:
    name: str
    argv: list[str]
    log_path: Path
    pid_dir: Path
    env: dict[str, str] = field(default_factory=dict)
    cwd: Path | None = None
    user: str | None = None
    stop_signal: int = signal.SIGTERM
    popen: subprocess.Popen[bytes] | None = None
    _tail: deque[str] = field(default_factory=lambda: deque(maxlen=40))

    def start(self, console: Console) -> None:
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        log = self.log_path.open("ab")
        self.popen = subprocess.Popen(
            self.argv,
            cwd=self.cwd,
            env={**os.environ, **self.env},
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.STDOUT,
            start_new_session=True,  # Ctrl-C reaches the launcher only; it stops children in order
            user=self.user,
        )
        self.pid_dir.mkdir(parents=True, exist_ok=True)
        write_pid_file(self.pid_dir / f"{self.name}.pid", self.popen.pid)
        threading.Thread(target=self._pump, args=(self.popen.stdout, log, console), daemon=True).start()

    def _pump(self, stream: IO[bytes], log: IO[bytes], console: Console) -> None:
        with log:
            for raw in iter(stream.readline, b""):
                log.write(raw)
                log.flush()
                text = raw.decode(errors="replace").rstrip()
                self._tail.append(text)
                console.line(self.name, text)

    @property
    def alive(self) -> bool:
        return self.popen is not None and self.popen.poll() is None

    def tail(self) -> str:
        return "\n".join(self._tail)

    def stop(self, timeout: float = 20.0) -> None:
        """Asks the process group to stop, then kills it if it does not within the timeout."""
        if self.popen is None:
            return
        if self.popen.poll() is None:
            _signal_group(self.popen.pid, self.stop_signal)
            try:
                self.popen.wait(timeout)
            except subprocess.TimeoutExpired:
                _signal_group(self.popen.pid, signal.SIGKILL)
                self.popen.wait(5)
        _signal_group(self.popen.pid, signal.SIGKILL)  # stragglers of the group, if any
        (self.pid_dir / f"{self.name}.pid").unlink(missing_ok=True)


def _signal_group(pid: int, sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(pid, sig)


def kill_recorded(pid_dir: Path) -> list[str]:
    """Kills process groups whose pid files a crashed launcher left behind; returns their names."""
    killed: list[str] = []
    if not pid_dir.is_dir():
        return killed
    for pid_file in pid_dir.glob("*.pid"):
        pid = read_live_pid(pid_file)
        if pid is not None:
            _signal_group(pid, signal.SIGTERM)
            deadline = time.monotonic() + 10
            while pid_alive(pid) and time.monotonic() < deadline:
                time.sleep(0.2)
            _signal_group(pid, signal.SIGKILL)
            killed.append(pid_file.stem)
        pid_file.unlink(missing_ok=True)
    return killed


def pid_alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    try:  # a zombie is not alive
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().split(")")[-1].split()[0] != "Z"
    except OSError:
        return True


def _start_time(pid: int) -> str | None:
    """The kernel's start time of a process: with the pid, it names that process, not a reuse."""
    try:
        with open(f"/proc/{pid}/stat") as stat:
            return stat.read().rsplit(")", 1)[1].split()[19]
    except (OSError, IndexError):
        return None


def write_pid_file(path: Path, pid: int) -> None:
    path.write_text(f"{pid} {_start_time(pid)}")


def read_live_pid(path: Path) -> int | None:
    """The pid recorded in ``path`` if that very process still runs (not a reused pid), else None."""
    try:
        pid_text, _, started = path.read_text().strip().partition(" ")
        pid = int(pid_text)
    except (OSError, ValueError):
        return None
    if not pid_alive(pid) or (started and started != _start_time(pid)):
        return None
    return pid
