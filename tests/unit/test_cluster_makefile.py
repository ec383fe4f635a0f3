"""phase-3-backend-services/Makefile: what its targets would run, read with `make -n` (nothing runs)."""

from __future__ import annotations

import re
import shutil
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


def _image_tags(scope: Path) -> tuple[set[str], set[str]]:
    """The tags `make images` builds and the tags `make deploy` sets in the overlay it applies, on the
    Minikube path (named: with a local cluster up, kubectl's context would pick the other one)."""
    commands = subprocess.run(
        ["make", "-n", "-C", str(scope), "deploy", "CLUSTER=minikube"], check=True, capture_output=True, text=True
    ).stdout
    return set(re.findall(r"image build -t learnflow/\$service:(\S+)", commands)), set(
        re.findall(r"newTag: %s}\\n' \$service (\S+);", commands)
    )


def test_images_are_tagged_by_content_so_a_changed_service_rolls_out(tmp_path: Path) -> None:
    for folder in ("common", "course-agent", "user-progress", "phase-3-backend-services", "tools/dapr"):
        shutil.copytree(REPO / folder, tmp_path / folder, ignore=shutil.ignore_patterns("*.egg-info", "__pycache__"))
    for file in ("constraints.txt", ".dockerignore"):
        shutil.copy(REPO / file, tmp_path / file)
    built, deployed = _image_tags(tmp_path / "phase-3-backend-services")
    source = next((tmp_path / "user-progress/src").rglob("*.py"))
    source.write_text(source.read_text() + "\n# changed\n")
    rebuilt, redeployed = _image_tags(tmp_path / "phase-3-backend-services")

    assert len(built) == 1
    assert built == deployed
    assert rebuilt == redeployed
    assert rebuilt != built


def test_secrets_require_tls_of_the_state_store_and_keep_values_off_command_lines() -> None:
    """Values go to kubectl as files of a private folder (`--from-file`), never as arguments other
    processes could read; the state store's connection string requires TLS."""
    commands = dry_run("secrets")

    assert "sslmode=require" in commands
    assert "password=%s dbname=learnflow sslmode=require" in commands
    assert not re.search(r"--from-literal=(password|token|key|connection-string)=", commands)
    assert "create secret tls postgres-tls" in commands
    assert "create postgres-superuser" in commands


def test_deploy_sets_the_state_store_role_once_postgres_runs_and_before_the_services_roll_out() -> None:
    commands = dry_run("deploy")
    postgres = commands.index("rollout status statefulset/postgres")
    role = commands.index("exec postgres-0 -c postgres -- /docker-entrypoint-initdb.d/learnflow-role.sh")

    assert postgres < role < commands.index("rollout status deployment/")
