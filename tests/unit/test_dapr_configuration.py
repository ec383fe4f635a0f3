"""Each sidecar's Dapr Configuration: its API allow-list, its secret scope, and that the local stack
and the cluster load the same one for each app. That the sidecar refuses what is not listed is
proven against the real daprd in tests/integration/test_stack.py."""

from __future__ import annotations

import copy
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
RUN_FILE = yaml.safe_load((REPO / "dapr.yaml").read_text())
APPS = [app["appID"] for app in RUN_FILE["apps"]]
#: What each app calls on its sidecar (grep the sources for /v1.0): nothing more may be allowed.
EXPECTED_HTTP_APIS = {
    "course-agent": {
        ("actors", "v1.0"),
        ("state", "v1.0"),
        ("state", "v1.0-alpha1"),
        ("publish", "v1.0"),
        ("metadata", "v1.0"),
        ("invoke", "v1.0"),
        ("conversation", "v1.0-alpha2"),
    },
    "user-progress": {("actors", "v1.0"), ("state", "v1.0"), ("publish", "v1.0"), ("metadata", "v1.0")},
}
#: A scaffolded service (the template's app calls user-progress through service invocation).
SCAFFOLDED_HTTP_APIS = {
    ("actors", "v1.0"),
    ("publish", "v1.0"),
    ("metadata", "v1.0"),
    ("invoke", "v1.0"),
}


def _config_file(app_id: str) -> Path:
    [app] = [app for app in RUN_FILE["apps"] if app["appID"] == app_id]
    return REPO / app.get("configFilePath", RUN_FILE["common"]["configFilePath"])


def _configuration(app_id: str) -> dict[str, Any]:
    return yaml.safe_load(_config_file(app_id).read_text())


def _allowed(config: dict[str, Any], protocol: str) -> set[tuple[str, str]]:
    return {
        (rule["name"], rule["version"]) for rule in config["spec"]["api"]["allowed"] if rule["protocol"] == protocol
    }


@cache
def _cluster() -> tuple[dict[str, Any], ...]:
    kubectl = Path(sys.executable).with_name("kubectl")
    output = subprocess.run(
        [str(kubectl), "kustomize", str(REPO / "phase-3-backend-services")], check=True, capture_output=True, text=True
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(output) if doc)


@pytest.mark.parametrize("app_id", APPS)
def test_each_sidecar_may_call_only_the_apis_its_app_uses(app_id: str) -> None:
    config = _configuration(app_id)

    assert _allowed(config, "http") == EXPECTED_HTTP_APIS.get(app_id, SCAFFOLDED_HTTP_APIS)
    # the gRPC API is unused: one read-only entry, because without any gRPC entry all of it is open
    assert _allowed(config, "grpc") == {("metadata", "v1")}
    assert not config["spec"]["api"].get("denied")


@pytest.mark.parametrize("app_id", APPS)
def test_no_sidecar_serves_secrets_and_the_builtin_store_denies_every_secret(app_id: str) -> None:
    config = _configuration(app_id)

    assert not {name for name, _ in _allowed(config, "http") | _allowed(config, "grpc")} & {"secrets", "bindings"}
    assert {"storeName": "kubernetes", "defaultAccess": "deny"} in config["spec"]["secrets"]["scopes"]
    assert all(scope["defaultAccess"] == "deny" for scope in config["spec"]["secrets"]["scopes"])


def test_the_configurations_differ_only_in_name_and_allow_list() -> None:
    def rest(path: Path) -> dict[str, Any]:
        doc = copy.deepcopy(yaml.safe_load(path.read_text()))
        doc["metadata"].pop("name")
        doc["spec"]["api"].pop("allowed")
        return doc

    files = sorted((REPO / "components").glob("config*.yaml"))

    assert len(files) >= 3
    assert all(rest(path) == rest(files[0]) for path in files), [path.name for path in files]


@pytest.mark.parametrize("app_id", APPS)
def test_the_cluster_sidecar_loads_the_configuration_the_local_sidecar_does(app_id: str) -> None:
    name = _configuration(app_id)["metadata"]["name"]
    [deployment] = [doc for doc in _cluster() if doc["kind"] == "Deployment" and doc["metadata"]["name"] == app_id]
    configurations = {doc["metadata"]["name"] for doc in _cluster() if doc["kind"] == "Configuration"}

    assert deployment["spec"]["template"]["metadata"]["annotations"]["dapr.io/config"] == name
    assert name in configurations


def test_every_cluster_configuration_carries_the_access_control_policy() -> None:
    configurations = [doc for doc in _cluster() if doc["kind"] == "Configuration"]

    assert len(configurations) >= 3
    for doc in configurations:
        assert doc["spec"]["accessControl"]["defaultAction"] == "deny", doc["metadata"]["name"]
        assert doc["spec"]["accessControl"]["policies"][0]["namespace"] == "phase-3-backend-services"
