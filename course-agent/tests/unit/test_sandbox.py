"""The sandbox that runs a model's code: what it lets a snippet do, and what it stops."""

from __future__ import annotations

import asyncio
import time

import pytest

from course_agent.sandbox import Limits, Outcome, run_each

QUICK = Limits(snippet_seconds=2, cpu_seconds=3, wall_seconds=5.0)


def _run(code: str, limits: Limits = QUICK) -> Outcome:
    return asyncio.run(run_each({"snippet": code}, limits))["snippet"]


def test_a_snippet_runs_and_its_output_and_failure_are_reported() -> None:
    assert _run("print('hi')") == Outcome(ok=True, stdout="hi\n", error="")
    assert "AssertionError" in _run("assert 1 + 1 == 3").error


def test_each_snippet_has_an_interpreter_of_its_own() -> None:
    """Untrusted code cannot change what the next snippet sees (a patched module, a global)."""
    results = asyncio.run(
        run_each({"a": "import math\nmath.pi = 3\nx = 1", "b": "import math\nprint(math.pi > 3)"}, QUICK)
    )

    assert results["b"].stdout == "True\n"


@pytest.mark.parametrize(
    ("code", "refused"),
    [
        ("import socket\nsocket.socket().connect(('127.0.0.1', 5433))", "no network"),
        ("import socket\nsocket.getaddrinfo('example.com', 443)", "socket.getaddrinfo"),
        ("import socket\ns = socket.socket(socket.AF_UNIX)\ns.connect('/var/run/docker.sock')", "socket.connect"),
        ("import os\nos.system('echo pwned')", "os.system"),
        ("import os\nos.fork()", "os.fork"),
        ("import subprocess\nsubprocess.run(['true'])", "subprocess.Popen"),
        ("import os\nos.execv('/bin/sh', ['sh'])", "os.exec"),
        ("import ctypes\nctypes.CDLL(None)", "ctypes"),
        ("open('/etc/hostname').read()", "no access"),
        ("open('/tmp/learnflow-escape', 'w')", "no access"),
        ("import os\nos.chdir('/')", "os.chdir"),
        ("open(1, 'w').write('forged report')", "no access"),
    ],
    ids=[
        "tcp",
        "dns",
        "unix-socket",
        "os-system",
        "fork",
        "subprocess",
        "exec",
        "ctypes",
        "read-outside",
        "write-outside",
        "chdir-out",
        "driver-stdout",
    ],
)
def test_what_reaches_outside_the_sandbox_is_refused(code: str, refused: str) -> None:
    outcome = _run(code)

    assert not outcome.ok
    assert "SandboxRefused" in outcome.error
    assert refused in outcome.error


def test_files_inside_the_working_directory_and_asyncio_work() -> None:
    code = (
        "import asyncio, tempfile, pathlib\n"
        "pathlib.Path('notes.txt').write_text('ok')\n"
        "with tempfile.TemporaryDirectory() as d:\n"
        "    pass\n"
        "async def main():\n"
        "    await asyncio.sleep(0)\n"
        "    return pathlib.Path('notes.txt').read_text()\n"
        "print(asyncio.run(main()))\n"
    )

    assert _run(code) == Outcome(ok=True, stdout="ok\n", error="")


def test_the_environment_is_empty() -> None:
    assert _run("import os\nprint(sorted(os.environ))").stdout.strip() in ("['TMPDIR']", "['LC_CTYPE', 'TMPDIR']")


def test_memory_and_file_size_are_limited() -> None:
    assert "MemoryError" in _run("hog = bytearray(4 * 1024**3)").error
    assert "File too large" in _run("open('big', 'w').write('x' * 5_000_000)").error


def test_a_loop_is_stopped_by_its_alarm() -> None:
    assert "SnippetTimeout" in _run("while True:\n    pass").error


def test_a_snippet_that_silences_its_alarm_is_stopped_by_the_cpu_limit() -> None:
    code = "import signal\nsignal.alarm(0)\nwhile True:\n    pass"

    started = time.monotonic()
    outcome = _run(code)

    assert not outcome.ok
    assert "without a report" in outcome.error
    assert time.monotonic() - started < QUICK.wall_seconds + 2


def test_a_snippet_that_silences_its_alarm_and_sleeps_is_killed_at_the_wall_timeout() -> None:
    started = time.monotonic()
    outcome = _run("import signal, time\nsignal.signal(signal.SIGALRM, signal.SIG_IGN)\ntime.sleep(60)")

    assert not outcome.ok
    assert "killed after" in outcome.error
    assert time.monotonic() - started < QUICK.wall_seconds + 2


def test_a_snippet_that_prints_a_report_of_its_own_and_leaves_is_not_believed() -> None:
    forged = {"nonce": "a guess", "results": {"snippet": {"ok": True, "stdout": "", "error": ""}}}
    code = f"import json, os\nos.write(1, ('\\n' + json.dumps({forged!r}) + '\\n').encode())\nos._exit(0)"

    outcome = _run(code)

    assert not outcome.ok
    assert "without a report" in outcome.error
