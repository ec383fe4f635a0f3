"""phase-3-backend-services/Makefile: what its targets would run, read with `make -n` (nothing runs)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import yaml

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


def _jobs() -> list[str]:
    kubectl = Path(sys.executable).with_name("kubectl")
    rendered = subprocess.run([str(kubectl), "kustomize", str(SCOPE)], check=True, capture_output=True, text=True)
    return [doc["metadata"]["name"] for doc in yaml.safe_load_all(rendered.stdout) if doc and doc["kind"] == "Job"]


def test_deploy_deletes_each_job_before_applying_it_again() -> None:
    """A Job's pod template is immutable: applying a changed one fails unless the old Job is gone."""
    commands = dry_run("deploy")
    apply = commands.index("apply -k")

    assert _jobs()
    for job in _jobs():
        assert -1 < commands.find(f"delete job {job} ") < apply, job


def test_the_makefile_takes_the_namespace_from_the_scope_kustomization() -> None:
    namespace = yaml.safe_load((SCOPE / "kustomization.yaml").read_text())["namespace"]

    assert f"NAMESPACE := {namespace}" not in (SCOPE / "Makefile").read_text()
    assert f"--namespace {namespace} " in dry_run("verify")
