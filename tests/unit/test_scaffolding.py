"""The fastapi-dapr-agent skill: `make new-service` makes a complete service, both existing services
are what the template makes of their answers, an update reaches them, and removal leaves no trace."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest
import yaml
from copier import run_copy

REPO = Path(__file__).resolve().parents[2]
TEMPLATE = REPO / ".claude/skills/fastapi-dapr-agent"
SERVICES = ["course-agent", "user-progress"]
PYTEST = [sys.executable, "-m", "pytest", "-q", "-p", "no:cacheprovider"]


def answers(repo: Path, service: str) -> dict[str, Any]:
    recorded = yaml.safe_load((repo / service / ".copier-answers.yml").read_text())
    return {key: value for key, value in recorded.items() if not key.startswith("_")}


def files_under(root: Path) -> dict[str, bytes]:
    return {str(path.relative_to(root)): path.read_bytes() for path in sorted(root.rglob("*")) if path.is_file()}


def scaffolded(service: str, destination: Path) -> dict[str, bytes]:
    """The scaffolded files the template makes of a service's recorded answers."""
    run_copy(
        str(TEMPLATE),
        destination,
        data={**answers(REPO, service), "scaffold_only": True},
        answers_file=f"{service}/.copier-answers.yml",
        defaults=True,
        quiet=True,
    )
    return files_under(destination)


@pytest.mark.parametrize("service", SERVICES)
def test_existing_service_is_exactly_what_the_template_makes_of_its_answers(service: str, tmp_path: Path) -> None:
    rendered = scaffolded(service, tmp_path)

    assert {f"{service}/Dockerfile", f"k8s/base/{service}.yaml", f"{service}/.copier-answers.yml"} <= set(rendered)
    for relative, content in rendered.items():
        if relative.endswith(".copier-answers.yml"):  # records the template's path as it was given
            assert answers(tmp_path, service) == answers(REPO, service)
            continue
        assert content.decode() == (REPO / relative).read_text(), f"{relative} differs from the template's output"


def test_a_template_change_reaches_both_services_through_update_and_nothing_else(
    checkout: Path, new_service: Any
) -> None:
    dockerfile_template = checkout / ".claude/skills/fastapi-dapr-agent/template/{{ service }}/Dockerfile.jinja"
    dockerfile_template.write_text(dockerfile_template.read_text() + "# improved template\n")
    before = files_under(checkout)

    for service in SERVICES:
        assert new_service(checkout, "update", service).returncode == 0

    after = files_under(checkout)
    changed = {path for path in after if before.get(path) != after[path]}
    assert changed == {f"{service}/Dockerfile" for service in SERVICES}
    assert all(after[f"{service}/Dockerfile"].endswith(b"# improved template\n") for service in SERVICES)


def test_new_service_passes_its_own_tests_and_the_repository_checks(checkout: Path, new_service: Any) -> None:
    generated = new_service(checkout, "add", "exercise-agent", "8003")
    assert generated.returncode == 0, generated.stderr

    env = {**os.environ, "PYTHONPATH": str(checkout / "exercise-agent/src")}
    checks = [
        "exercise-agent/tests",
        "tests/unit/test_dockerfiles.py",
        "tests/unit/test_deployment_manifests.py",
        "tests/unit/test_actor_types.py",
        "tests/unit/test_dapr_configuration.py",
    ]
    result = subprocess.run([*PYTEST, *checks], cwd=checkout, env=env, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout[-3000:]
    collected = subprocess.run([*PYTEST, "--co", *checks[1:]], cwd=checkout, env=env, capture_output=True, text=True)
    assert "exercise-agent" in collected.stdout, "the repository checks cover the new service"
    ruff = Path(sys.executable).with_name("ruff")
    for command in (["check", "--no-cache", "."], ["format", "--no-cache", "--check", "."]):
        linted = subprocess.run([str(ruff), *command], cwd=checkout, capture_output=True, text=True)
        assert linted.returncode == 0, linted.stdout
    mypy = Path(sys.executable).with_name("mypy")
    typed = subprocess.run([str(mypy), "--cache-dir=/dev/null"], cwd=checkout, capture_output=True, text=True)
    assert typed.returncode == 0, typed.stdout
    assert "exercise-agent/src" in (checkout / "pyproject.toml").read_text(), "mypy checks the new service"


def test_new_service_gets_its_own_sidecar_ports_scopes_subscription_and_deployment(
    checkout: Path, new_service: Any
) -> None:
    new_service(checkout, "add", "exercise-agent", "8003")

    apps = yaml.safe_load((checkout / "dapr.yaml").read_text())["apps"]
    [app] = [app for app in apps if app["appID"] == "exercise-agent"]
    assert app == {
        "appID": "exercise-agent",
        "appDirPath": "./exercise-agent",
        "appPort": 8003,
        "daprHTTPPort": 3503,
        "daprGRPCPort": 7103,
        "daprInternalGRPCPort": 7203,
        "metricsPort": 9103,
        "profilePort": 9203,
        "command": ["python3", "-m", "exercise_agent"],
    }
    for component in ("statestore", "pubsub"):
        assert "exercise-agent" in yaml.safe_load((checkout / f"components/{component}.yaml").read_text())["scopes"]
    subscriptions = list(yaml.safe_load_all((checkout / "components/subscriptions.yaml").read_text()))
    [mine] = [doc for doc in subscriptions if doc["scopes"] == ["exercise-agent"]]
    assert mine["spec"]["deadLetterTopic"] == "progress-events-dlq"
    assert "exercise-agent.yaml" in yaml.safe_load((checkout / "k8s/base/kustomization.yaml").read_text())["resources"]
    deployed = subprocess.run(
        ["make", "-s", "-C", "phase-3-backend-services", "print-services"], cwd=checkout, capture_output=True, text=True
    )
    assert deployed.stdout.split() == ["course-agent", "exercise-agent", "user-progress"], "make images/deploy build it"
    assert answers(checkout, "exercise-agent") == {
        "service": "exercise-agent",
        "port": 8003,
        "description": "Keeps what it learns of each learner from their progress events.",
    }


def test_adding_twice_changes_nothing_and_removing_leaves_no_trace(checkout: Path, new_service: Any) -> None:
    original = files_under(checkout)
    new_service(checkout, "add", "exercise-agent", "8003")
    once = files_under(checkout)

    new_service(checkout, "add", "exercise-agent", "8003")
    assert files_under(checkout) == once

    assert new_service(checkout, "remove", "exercise-agent").returncode == 0
    assert files_under(checkout) == original
    assert not (checkout / "exercise-agent").exists()


def test_a_port_taken_by_another_service_is_refused_before_anything_is_written(
    checkout: Path, new_service: Any
) -> None:
    original = files_under(checkout)

    refused = new_service(checkout, "add", "exercise-agent", "8002")

    assert refused.returncode != 0
    assert "clashes" in refused.stderr
    assert files_under(checkout) == original
