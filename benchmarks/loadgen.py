"""What compare.py and profile_ours.py share: wrk runs, the stack's processes, RSS and CPU from /proc."""

from __future__ import annotations

import json
import os
import resource
import shutil
import signal
import subprocess
import threading
import time
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx

HERE = Path(__file__).resolve().parent
WRK_SCRIPT = HERE / "wrk" / "learnflow.lua"
PAGE_KB = os.sysconf("SC_PAGE_SIZE") // 1024
TICKS = os.sysconf("SC_CLK_TCK")


def wrk(
    base_url: str,
    mode: str,
    ids: str,
    prefix: str,
    learners: int,
    start: str,
    clients: int,
    seconds: float,
    token: str,
) -> dict[str, Any]:
    """One bounded wrk run (event ids start with ``ids``, learners are ``<prefix>-l<n>``, n < learners);
    wrk's own figures (latencies in ms) and the throughput of successful answers. ``token``: the bearer
    JWT every request carries (``harness.operator_headers``, without the ``Bearer`` prefix)."""
    if shutil.which("wrk") is None:
        raise SystemExit("wrk is not installed: tools/install-system-deps.sh bench (make bench does it)")
    # One learner's events go out from one thread, in the order of their completed_at (learnflow.lua):
    # two threads each advance it from the same start, so they put up to 960 events in a UTC day (the
    # limit is 500: the hot point was answered 422 for hundreds of them) and, as they drift apart, one
    # thread's events arrive far behind the other's newest, each a re-fold of its day (PROFILE.md, Phase 18).
    threads = 1 if learners == 1 else min(clients, 2)
    argv = [
        "wrk",
        f"-t{threads}",
        f"-c{clients}",
        f"-d{max(1, round(seconds))}s",
        "--timeout",
        "60s",
        "-s",
        str(WRK_SCRIPT),
        base_url,
        "--",
        mode,
        ids,
        prefix,
        str(learners),
        start,
        str(threads),
        token,
    ]
    done = subprocess.run(argv, capture_output=True, text=True, check=True)
    line = next((line for line in done.stdout.splitlines() if line.startswith("JSON ")), None)
    if line is None:
        raise RuntimeError(f"wrk printed no result: {done.stdout}\n{done.stderr}")
    raw = json.loads(line[5:])
    seconds_run = raw["duration_us"] / 1e6
    errors = sum(raw["errors"].values())
    return {
        "requests": raw["requests"],
        "errors": errors,
        "error_detail": raw["errors"],
        "throughput_rps": round((raw["requests"] - errors) / seconds_run, 1),
        "p50_ms": round(raw["p50_us"] / 1000, 2),
        "p90_ms": round(raw["p90_us"] / 1000, 2),
        "p99_ms": round(raw["p99_us"] / 1000, 2),
        "max_ms": round(raw["max_us"] / 1000, 2),
        "mean_ms": round(raw["mean_us"] / 1000, 2),
        "seconds": round(seconds_run, 2),
    }


def stack_pids(info: dict[str, Any]) -> dict[str, int]:
    """The stack's processes by name (``user-progress``, ``user-progress-daprd``, ``kafka`` ...)."""
    pids: dict[str, int] = {}
    for path in sorted(Path(info["pids_dir"]).glob("*.pid")):
        try:
            pid = int(path.read_text().split()[0])
        except (OSError, ValueError, IndexError):
            continue
        if Path(f"/proc/{pid}").exists():
            pids[path.stem] = pid
    return pids


def rss_mb(pid: int) -> float | None:
    try:
        fields = Path(f"/proc/{pid}/statm").read_text().split()
    except OSError:
        return None
    return round(int(fields[1]) * PAGE_KB / 1024, 1)


def _cpu_ticks() -> dict[int, tuple[str, int]]:
    ticks: dict[int, tuple[str, int]] = {}
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            text = stat.read_text()
        except OSError:
            continue
        comm = text[text.index("(") + 1 : text.rindex(")")]
        fields = text[text.rindex(")") + 2 :].split()
        ticks[int(stat.parent.name)] = (comm, int(fields[11]) + int(fields[12]))
    return ticks


class Sampler:
    """While active: the peak RSS of the named processes (every 0.25 s) and, at the end, the CPU
    seconds every process used, grouped by the stack's names (else by command name)."""

    def __init__(self, named: dict[str, int]) -> None:
        self.named = named
        self.peak: dict[str, float] = {}
        self.cpu_seconds: dict[str, float] = {}
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.wait(0.25):
            for name, pid in self.named.items():
                value = rss_mb(pid)
                if value is not None:
                    self.peak[name] = max(self.peak.get(name, 0.0), value)

    def __enter__(self) -> Sampler:
        self._children_before = resource.getrusage(resource.RUSAGE_CHILDREN)
        self._before = _cpu_ticks()
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        elapsed = time.monotonic() - self._started
        after = _cpu_ticks()
        by_pid = {pid: name for name, pid in self.named.items()}
        groups: dict[str, float] = defaultdict(float)
        for pid, (comm, ticks) in after.items():
            used = ticks - self._before.get(pid, (comm, 0))[1]
            if used > 0:
                groups[by_pid.get(pid, comm)] += used / TICKS
        # Our children that ended meanwhile (wrk, py-spy) are gone from /proc: their rusage.
        children = resource.getrusage(resource.RUSAGE_CHILDREN)
        groups["load generator and profilers (ended children)"] += (
            children.ru_utime + children.ru_stime - self._children_before.ru_utime - self._children_before.ru_stime
        )
        self.elapsed = elapsed
        self.cpu_seconds = {name: round(value, 2) for name, value in sorted(groups.items(), key=lambda kv: -kv[1])}

    def cpu_share(self) -> dict[str, float]:
        """CPU used per group as a share of one core over the sampled time (2.0 = both cores)."""
        return {name: round(value / self.elapsed, 2) for name, value in self.cpu_seconds.items() if value > 0.05}


def wait_until_answering(url: str, process: subprocess.Popen[bytes], what: str, log: Path) -> None:
    """Until ``url`` answers 2xx (60 s at most); exits if ``process`` ends first (see ``log``)."""
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise SystemExit(f"{what} exited: see {log}")
        try:
            if httpx.get(url, timeout=1).status_code < 300:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.2)
    raise SystemExit(f"{what} did not answer {url} within 60 s: see {log}")


def stop_process_group(process: subprocess.Popen[bytes]) -> None:
    """Stops a process started with ``start_new_session`` and everything it started: SIGTERM, then
    SIGKILL after 15 s."""
    if process.poll() is None:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(15)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)


def machine() -> dict[str, Any]:
    cpuinfo = Path("/proc/cpuinfo").read_text().splitlines()
    model = next((line.split(":", 1)[1].strip() for line in cpuinfo if "model name" in line), "unknown")
    mem_kb = int(next(line.split()[1] for line in Path("/proc/meminfo").read_text().splitlines() if "MemTotal" in line))
    wrk_version = subprocess.run(["wrk", "-v"], capture_output=True, text=True).stdout.split("\n")[0].strip()
    return {
        "cpu": model,
        "cores": os.cpu_count(),
        "memory_gb": round(mem_kb / 1024 / 1024, 1),
        "kernel": os.uname().release,
        "wrk": wrk_version,
    }
