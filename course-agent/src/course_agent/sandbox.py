"""Runs Python snippets out of process, confined: how the agent learns what code really does.

One driver (:data:`DRIVER`) runs snippets in a fresh interpreter (``-I``: isolated mode, no user site,
no ``PYTHON*`` variables; ``-B``: no bytecode written), with an empty environment (``TMPDIR`` aside,
which points into the run's own directory) in a throwaway working directory. Before the first snippet
it confines itself, in the child:

- resource limits (``resource.setrlimit``): CPU seconds, address space, size of a file written (a
  bigger write is an ``OSError``, not a kill), open files, no core dumps;
- an audit hook (``sys.addaudithook``, which nothing can remove) that refuses processes (``os.system``,
  ``os.fork``, ``os.exec*``, ``os.posix_spawn``, ``subprocess.Popen``, signals to other processes),
  the network (any socket but the local pairs asyncio's event loop makes, ``connect``, ``bind``, name
  look-ups), ``ctypes``, writes outside the working directory, reads outside it and the standard
  library, ``chdir`` out of it, and the driver's stdin, stdout and stderr;
- a per-snippet alarm (wall time); the caller also kills the whole process past its wall timeout.

The network ban is the audit hook's, not a network namespace's (``unshare -n`` needs privileges the
app's container does not have). Each snippet runs in a fresh ``__main__`` module with its own stdout
capture, and the driver prints one JSON line of results at the end, with a nonce the caller gave it:
a snippet that prints a report and leaves is not believed (the nonce is in a driver frame, which only
code walking frames could read; ``domain/variants.py`` refuses such code before it runs).

:func:`run_batch` runs many snippets in one interpreter (the test suite, over trusted content);
:func:`run_each` gives every snippet an interpreter of its own (untrusted code: no snippet can
change what another one sees).
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import secrets
import signal
import subprocess
import sys
import tempfile
from collections.abc import Mapping
from dataclasses import asdict, dataclass

DRIVER = r"""
import contextlib, io, json, os, resource, signal, sys, sysconfig, traceback, types

limits = json.loads(sys.argv[1])
WORKDIR = os.path.realpath(os.getcwd()) + os.sep
READABLE = tuple(
    {os.path.realpath(sysconfig.get_paths()[name]) + os.sep for name in ("stdlib", "platstdlib", "purelib", "platlib")}
) + (WORKDIR,)
REFUSED = (
    "os.system", "os.fork", "os.forkpty", "os.exec", "os.posix_spawn", "os.spawn", "subprocess.Popen",
    "os.kill", "os.killpg", "os.fchdir", "os.chroot", "ctypes.", "socket.connect", "socket.bind",
    "socket.getaddrinfo", "socket.gethostbyname", "socket.gethostbyaddr", "socket.sendto", "socket.sendmsg",
    "pty.", "os.setuid", "os.setgid", "webbrowser.",
)
PATH_EVENTS = {
    "os.chdir": (0,), "os.remove": (0,), "os.rename": (0, 1), "os.rmdir": (0,), "os.mkdir": (0,), "os.symlink": (0, 1),
    "os.link": (0, 1), "os.truncate": (0,), "os.chmod": (0,), "os.chown": (0,), "os.utime": (0,),
    "shutil.rmtree": (0,), "shutil.copyfile": (1,), "shutil.move": (1,),
}
READ_EVENTS = {"os.listdir": 0, "os.scandir": 0, "glob.glob": 0}


class SandboxRefused(PermissionError):
    pass


class SnippetTimeout(Exception):
    pass


def _inside(path, roots):
    if isinstance(path, int):  # a descriptor, checked when it was opened; stdin, stdout and stderr are the driver's
        return path > 2
    if path is None:
        path = "."
    resolved = os.path.realpath(os.fsdecode(path))
    return any((resolved + os.sep).startswith(root) for root in roots)


def _hook(event, args):
    if event.startswith(REFUSED):
        raise SandboxRefused(f"sandbox: {event} is not allowed")
    if event == "socket.__new__" and len(args) > 1 and args[1] != 1:  # AF_UNIX only (asyncio's self-pipe)
        raise SandboxRefused("sandbox: no network")
    if event == "open":
        path, mode, flags = args
        writing = (mode is not None and any(c in mode for c in "wax+")) or (flags or 0) & (os.O_WRONLY | os.O_RDWR)
        if not _inside(path, (WORKDIR,) if writing else READABLE):
            raise SandboxRefused(f"sandbox: no access to {path!r}")
    if event in PATH_EVENTS:
        for index in PATH_EVENTS[event]:
            if not _inside(args[index], (WORKDIR,)):
                raise SandboxRefused(f"sandbox: {event} outside the working directory")
    if event in READ_EVENTS:
        listed = args[READ_EVENTS[event]]
        if not isinstance(listed, int) and not _inside(listed, READABLE):  # an fd was checked when opened
            raise SandboxRefused(f"sandbox: {event} outside the working directory")


def _alarm(signum, frame):
    raise SnippetTimeout(f"snippet took longer than {limits['snippet_seconds']} s")


for name, value in (
    ("RLIMIT_CPU", limits["cpu_seconds"]),
    ("RLIMIT_AS", limits["memory_bytes"]),
    ("RLIMIT_FSIZE", limits["file_bytes"]),
    ("RLIMIT_NOFILE", limits["open_files"]),
    ("RLIMIT_CORE", 0),
):
    resource.setrlimit(getattr(resource, name), (value, value))
signal.signal(signal.SIGXFSZ, signal.SIG_IGN)  # a write past the limit raises, it does not kill
signal.signal(signal.SIGALRM, _alarm)


# The report carries the nonce only this function holds, so a snippet printing a report of its own
# is not taken for the driver's (reaching the nonce takes the frame walks variants may not name).
def main(nonce, snippets):
    out = sys.stdout
    sys.addaudithook(_hook)
    real_main = sys.modules["__main__"]
    results = {}
    for key, code in snippets.items():
        module = types.ModuleType("__main__")
        module.__dict__["__builtins__"] = __builtins__
        captured = io.StringIO()
        ok, error = True, ""
        sys.modules["__main__"] = module
        signal.alarm(limits["snippet_seconds"])
        try:
            with contextlib.redirect_stdout(captured):
                exec(compile(code, f"<{key}>", "exec"), module.__dict__)
        except SystemExit as exc:
            if exc.code not in (None, 0):
                ok, error = False, f"SystemExit({exc.code!r})"
        except BaseException:
            ok, error = False, traceback.format_exc(limit=-3)
        finally:
            signal.alarm(0)
            sys.modules["__main__"] = real_main
        results[key] = {"ok": ok, "stdout": captured.getvalue()[:20000], "error": error[-4000:]}
    out.write("\n" + json.dumps({"nonce": nonce, "results": results}) + "\n")
    out.flush()


payload = json.loads(sys.stdin.read())
main(payload.pop("nonce"), payload.pop("snippets"))
"""


@dataclass(frozen=True)
class Limits:
    """What one driver process may use. ``cpu_seconds`` and ``wall_seconds`` bound the whole process
    (every snippet it runs: the CPU limit kills it); ``snippet_seconds`` each snippet (an exception in
    the snippet, so keep it below ``cpu_seconds`` to hear which snippet it was)."""

    snippet_seconds: int = 5
    cpu_seconds: int = 10
    wall_seconds: float = 15.0
    memory_bytes: int = 512 * 1024 * 1024
    file_bytes: int = 1024 * 1024
    open_files: int = 64


@dataclass(frozen=True)
class Outcome:
    """What a snippet did: ``ok`` when it ran to the end (its asserts held), what it printed, and the
    error that stopped it."""

    ok: bool
    stdout: str = ""
    error: str = ""


def command(limits: Limits) -> list[str]:
    """The driver's command line (the snippets go to its stdin as one JSON object)."""
    return [sys.executable, "-I", "-B", "-c", DRIVER, json.dumps(asdict(limits))]


def results_of(stdout: str, returncode: int | None, stderr: str, keys: list[str], nonce: str) -> dict[str, Outcome]:
    """The driver's report, the last line it printed and carrying the run's nonce; every snippet failed
    when there is none (the process died before it: a limit, a kill; or a snippet printed its own)."""
    try:
        last = json.loads(stdout.strip().splitlines()[-1]) if returncode == 0 else None
    except (ValueError, IndexError):
        last = None
    report = last.get("results") if isinstance(last, dict) and last.get("nonce") == nonce else None
    if not isinstance(report, dict) or set(report) != set(keys):
        why = f"sandbox process ended without a report (exit {returncode}): {stderr.strip()[-500:]}"
        return {key: Outcome(ok=False, error=why) for key in keys}
    return {key: Outcome(bool(r["ok"]), str(r["stdout"]), str(r["error"])) for key, r in report.items()}


def _environment(workdir: str) -> dict[str, str]:
    return {"TMPDIR": workdir}


def _payload(snippets: Mapping[str, str], nonce: str) -> str:
    return json.dumps({"nonce": nonce, "snippets": dict(snippets)})


def run_batch(snippets: Mapping[str, str], limits: Limits) -> dict[str, Outcome]:
    """Every snippet in one confined interpreter (blocking): for many trusted snippets at once."""
    nonce = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as workdir:
        try:
            proc = subprocess.run(
                command(limits),
                input=_payload(snippets, nonce),
                capture_output=True,
                text=True,
                cwd=workdir,
                env=_environment(workdir),
                timeout=limits.wall_seconds,
                check=False,
            )
        except subprocess.TimeoutExpired:
            return results_of("", None, f"killed after {limits.wall_seconds} s", list(snippets), nonce)
    return results_of(proc.stdout, proc.returncode, proc.stderr, list(snippets), nonce)


async def run_each(snippets: Mapping[str, str], limits: Limits) -> dict[str, Outcome]:
    """Every snippet in a confined interpreter of its own, one after the other, without blocking the
    event loop: for untrusted code."""
    return {key: (await _run_alone(key, code, limits))[key] for key, code in snippets.items()}


async def _run_alone(key: str, code: str, limits: Limits) -> dict[str, Outcome]:
    nonce = secrets.token_hex(16)
    with tempfile.TemporaryDirectory() as workdir:
        proc = await asyncio.create_subprocess_exec(
            *command(limits),
            stdin=asyncio.subprocess.PIPE,
            stdout=asyncio.subprocess.PIPE,
            stderr=asyncio.subprocess.PIPE,
            cwd=workdir,
            env=_environment(workdir),
            start_new_session=True,  # its own process group: a kill reaches anything it started
        )
        try:
            stdout, stderr = await asyncio.wait_for(
                proc.communicate(_payload({key: code}, nonce).encode()), limits.wall_seconds
            )
        except TimeoutError:
            return results_of("", None, f"killed after {limits.wall_seconds} s", [key], nonce)
        finally:  # past its time, or the caller stopped waiting: nothing of it outlives the run
            if proc.returncode is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGKILL)
                await asyncio.shield(proc.wait())
    return results_of(stdout.decode(errors="replace"), proc.returncode, stderr.decode(errors="replace"), [key], nonce)
