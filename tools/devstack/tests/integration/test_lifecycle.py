"""`devstack up` / `down` on a second stack with every port moved: all starts, nothing is left (no
process, no PostgreSQL folder)."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import httpx

from devstack.config import DEFAULT_PORTS, load_apps
from devstack.processes import pid_alive
from devstack.testing import RunningStack

REPO = Path(__file__).resolve().parents[4]
#: The second stack's ports: a block below Linux's ephemeral range, so that no outgoing connection
#: of the first stack can be holding one of them.
PORT_BASE = 21000
STACK_PROCESSES = {
    "postgres",
    "kafka",
    "otlp-sink",
    "placement",
    "scheduler",
    "course-agent",
    "course-agent-daprd",
    "user-progress",
    "user-progress-daprd",
}


def _moved_ports() -> dict[str, str]:
    names = list(DEFAULT_PORTS)
    for app in load_apps(REPO):
        names += [
            f"{app.env_prefix}_{label}"
            for label in (
                "APP_PORT",
                "DAPR_HTTP_PORT",
                "DAPR_GRPC_PORT",
                "DAPR_INTERNAL_GRPC_PORT",
                "DAPR_METRICS_PORT",
            )
        ]
    return {name: str(PORT_BASE + index) for index, name in enumerate(names)}


def _devstack(command: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devstack", command], cwd=REPO, env=env, capture_output=True, text=True, timeout=400
    )


def test_stack_with_moved_ports_comes_up_ready_and_down_leaves_no_process(tmp_path: Path) -> None:
    stack_dir = tmp_path / "stack"
    env = {
        **os.environ,
        **_moved_ports(),
        "LEARNFLOW_STACK_DIR": str(stack_dir),
        # this second stack runs without the variant generator: lessons come from the bank either way
        "COURSE_AGENT_ENV_LESSON_GENERATOR": "builtin",
    }
    try:
        up = _devstack("up", env)
        assert up.returncode == 0, up.stdout + up.stderr
        pids = {path.stem: int(path.read_text().split()[0]) for path in (stack_dir / "pids").glob("*.pid")}
        assert set(pids) == STACK_PROCESSES
        postgres_dir = Path((stack_dir / "postgres-dir").read_text())
        assert (postgres_dir / "data" / "PG_VERSION").exists()
        info = json.loads((stack_dir / "stack.json").read_text())
        user_progress = info["apps"]["user-progress"]["app_url"]
        assert user_progress == f"http://127.0.0.1:{env['USER_PROGRESS_APP_PORT']}"
        assert httpx.get(f"{user_progress}/readyz", timeout=10).status_code == 200
        lesson = httpx.post(
            f"{info['apps']['course-agent']['app_url']}/generate-lesson",
            json={"learner_id": "ada"},
            headers=RunningStack(info).bearer("ada"),
            timeout=60,
        )
        assert lesson.status_code == 201
        assert lesson.json()["generator"] == "builtin"

        down = _devstack("down", env)

        assert down.returncode == 0, down.stdout + down.stderr
        assert [name for name, pid in pids.items() if pid_alive(pid)] == []
        assert not (stack_dir / "stack.json").exists()
        assert not postgres_dir.exists()  # the run's database is deleted with it
        assert not (stack_dir / "postgres-dir").exists()
    finally:
        _devstack("clean", env)
