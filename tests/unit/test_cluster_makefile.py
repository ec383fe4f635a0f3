"""phase-3-backend-services/Makefile: what its targets would run, read with `make -n` (nothing runs)."""

from __future__ import annotations

import subprocess
from pathlib import Path

REPO = Path(__file__).resolve().parents[2]
SCOPE = REPO / "phase-3-backend-services"


def dry_run(*targets: str) -> str:
    return subprocess.run(["make", "-n", "-C", str(SCOPE), *targets], check=True, capture_output=True, text=True).stdout


def test_a_bare_make_only_lists_the_targets() -> None:
    commands = dry_run()

    assert "minikube" not in commands
    assert "kubectl" not in commands


def test_minikube_gets_the_metrics_server_the_hpas_read_cpu_from() -> None:
    assert "addons enable metrics-server" in dry_run("minikube-up")
