"""The Kubernetes deployment, checked as far as these machines allow: it renders, every object
validates against the upstream schemas (Kubernetes) or the CRD schemas of the pinned Dapr release,
and the Dapr resources are the local stack's own files plus only the documented patches."""

from __future__ import annotations

import copy
import json
import math
import os
import re
import shutil
import subprocess
import sys
from functools import cache
from pathlib import Path
from typing import Any

import jsonschema
import kubernetes_validate
import pytest
import yaml

REPO = Path(__file__).resolve().parents[2]
KUBERNETES_VERSION = "1.33.0"
NAMESPACE = "phase-3-backend-services"
DAPR_CRDS = {
    ("dapr.io/v1alpha1", "Component"): "components.yaml",
    ("dapr.io/v1alpha1", "Configuration"): "configuration.yaml",
    ("dapr.io/v1alpha1", "Resiliency"): "resiliency.yaml",
    ("dapr.io/v2alpha1", "Subscription"): "subscription.yaml",
}
#: Every app of dapr.yaml: a service added with `make new-service` is deployed like the others.
SERVICES = [app["appID"] for app in yaml.safe_load((REPO / "dapr.yaml").read_text())["apps"]]


@cache
def rendered() -> tuple[dict[str, Any], ...]:
    kubectl = Path(sys.executable).with_name("kubectl")
    output = subprocess.run(
        [str(kubectl), "kustomize", str(REPO / NAMESPACE)], check=True, capture_output=True, text=True
    ).stdout
    return tuple(doc for doc in yaml.safe_load_all(output) if doc)


@cache
def dapr_crd_dir() -> Path:
    """The CRDs shipped with the pinned dapr module (the one tools/dapr builds)."""
    env = {**os.environ, "GOFLAGS": "-mod=mod", "GOSUMDB": "off"}
    result = subprocess.run(
        ["go", "list", "-m", "-json", "github.com/dapr/dapr"],
        cwd=REPO / "tools/dapr",
        env=env,
        check=True,
        capture_output=True,
        text=True,
    )
    return Path(json.loads(result.stdout)["Dir"]) / "charts/dapr/crds"


def _crd_schema(api_version: str, kind: str) -> dict[str, Any]:
    _, version = api_version.split("/")
    crd = yaml.safe_load((dapr_crd_dir() / DAPR_CRDS[(api_version, kind)]).read_text())
    [served] = [v for v in crd["spec"]["versions"] if v["name"] == version]
    return served["schema"]["openAPIV3Schema"]


def _name(doc: dict[str, Any]) -> str:
    return f"{doc['kind']}/{doc['metadata']['name']}"


def test_the_deployment_scope_renders_every_part() -> None:
    kinds = {doc["kind"] for doc in rendered()}

    assert {
        "Namespace",
        "Deployment",
        "Service",
        "PodDisruptionBudget",
        "HorizontalPodAutoscaler",
        "StatefulSet",
        "Job",
        "Component",
        "Subscription",
        "Configuration",
        "Resiliency",
    } <= kinds


def test_every_namespaced_object_is_in_the_scope_namespace() -> None:
    namespaced = [doc for doc in rendered() if doc["kind"] != "Namespace"]

    assert {doc["metadata"].get("namespace") for doc in namespaced} == {NAMESPACE}


@pytest.mark.parametrize("doc", [d for d in rendered() if not d["apiVersion"].startswith("dapr.io")], ids=_name)
def test_kubernetes_object_validates_against_the_upstream_schema(doc: dict[str, Any]) -> None:
    kubernetes_validate.validate(doc, KUBERNETES_VERSION, strict=True)


@pytest.mark.parametrize("doc", [d for d in rendered() if d["apiVersion"].startswith("dapr.io")], ids=_name)
def test_dapr_resource_validates_against_its_crd_schema(doc: dict[str, Any]) -> None:
    jsonschema.validate(doc, _crd_schema(doc["apiVersion"], doc["kind"]))


def _local_dapr_resources() -> dict[str, dict[str, Any]]:
    docs = [
        doc
        for path in sorted((REPO / "components").glob("*.yaml"))
        if path.name != "kustomization.yaml"
        for doc in yaml.safe_load_all(path.read_text())
        if doc
    ]
    return {_name(doc): doc for doc in docs}


def _without_cluster_patches(doc: dict[str, Any]) -> dict[str, Any]:
    """Drops exactly what k8s/dapr/kustomization.yaml patches, and the namespace it adds."""
    doc = copy.deepcopy(doc)
    doc["metadata"].pop("namespace", None)
    if _name(doc) in ("Component/statestore", "Component/pubsub"):
        doc["spec"]["metadata"] = [item for item in doc["spec"]["metadata"][1:] if item["name"] != "maxConns"]
        doc.pop("auth", None)
    if _name(doc) == "Configuration/learnflow-config":
        doc["spec"].pop("accessControl", None)
    return doc


def test_cluster_dapr_resources_are_the_local_files_plus_only_the_documented_patches() -> None:
    cluster = {_name(doc): doc for doc in rendered() if doc["apiVersion"].startswith("dapr.io")}
    local = _local_dapr_resources()

    assert set(cluster) == set(local)
    for name, doc in cluster.items():
        assert _without_cluster_patches(doc) == _without_cluster_patches(local[name]), name


def test_state_store_takes_its_connection_string_from_a_kubernetes_secret() -> None:
    [store] = [doc for doc in rendered() if _name(doc) == "Component/statestore"]

    assert store["spec"]["metadata"][0] == {
        "name": "connectionString",
        "secretKeyRef": {"name": "postgres-credentials", "key": "connection-string"},
    }
    assert store["auth"] == {"secretStore": "kubernetes"}


def test_every_service_of_the_local_stack_is_deployed() -> None:
    deployments = {doc["metadata"]["name"] for doc in rendered() if doc["kind"] == "Deployment"}

    assert set(SERVICES) <= deployments


@pytest.mark.parametrize("service", SERVICES)
def test_service_pods_run_hardened_with_the_dapr_sidecar(service: str) -> None:
    [deployment] = [doc for doc in rendered() if _name(doc) == f"Deployment/{service}"]
    pod = deployment["spec"]["template"]
    [container] = pod["spec"]["containers"]

    assert pod["metadata"]["annotations"]["dapr.io/enabled"] == "true"
    assert pod["metadata"]["annotations"]["dapr.io/app-id"] == service
    assert pod["metadata"]["annotations"]["dapr.io/api-token-secret"] == "dapr-api-token"
    assert pod["spec"]["securityContext"]["runAsNonRoot"] is True
    assert container["securityContext"]["readOnlyRootFilesystem"] is True
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["resources"]["limits"]


def _pod_templates() -> list[tuple[str, dict[str, Any]]]:
    return [(_name(doc), doc["spec"]["template"]) for doc in rendered() if "template" in doc.get("spec", {})]


def test_dapr_pods_without_a_service_account_token_disable_the_builtin_kubernetes_secret_store() -> None:
    """In Kubernetes mode daprd loads a secret store `kubernetes` that talks to the API server with the
    pod's service-account token; without the token it cannot start. Component secrets are then resolved
    by the Dapr operator (secretKeyRef with auth.secretStore `kubernetes`), which needs no store."""
    for name, pod in _pod_templates():
        annotations = pod["metadata"].get("annotations", {})
        if annotations.get("dapr.io/enabled") == "true" and pod["spec"].get("automountServiceAccountToken") is False:
            assert annotations.get("dapr.io/disable-builtin-k8s-secret-store") == "true", name


def test_component_secrets_are_secret_key_refs_the_operator_resolves() -> None:
    for doc in rendered():
        if doc["kind"] != "Component":
            continue
        refs = [item for item in doc["spec"].get("metadata", []) if "secretKeyRef" in item]
        if refs:
            assert doc.get("auth", {}).get("secretStore", "kubernetes") == "kubernetes", _name(doc)


def _label_selectors() -> tuple[list[str], list[str]]:
    """The `-l` selectors `make verify` (verify.py) and the Makefile pass to kubectl: those of
    `kubectl wait` (every pod must carry them), and all of them."""
    verify = (REPO / NAMESPACE / "verify.py").read_text()
    makefile = (REPO / NAMESPACE / "Makefile").read_text()
    waited = re.findall(r'"wait",[^)]*?"(?:-l|--selector)",\s*"([^"]+)"', verify, flags=re.DOTALL)
    every = re.findall(r'"(?:-l|--selector)",\s*"([^"]+)"', verify) + re.findall(
        r"(?:-l|--selector)[ =](\S+)", makefile
    )
    return waited, every


def _matches(selector: str, labels: dict[str, str]) -> bool:
    return all(labels.get(key) == value for key, value in (pair.split("=", 1) for pair in selector.split(",")))


def test_verify_waits_on_a_selector_every_pod_of_the_scope_carries() -> None:
    """kustomize `labels` reach pod templates only with includeTemplates (or includeSelectors)."""
    waited, _ = _label_selectors()

    assert waited, "verify.py waits for the pods by label"
    for selector in waited:
        for name, pod in _pod_templates():
            assert _matches(selector, pod["metadata"].get("labels", {})), f"{name} pods lack {selector}"


def test_every_selector_of_verify_and_the_makefile_selects_some_pods() -> None:
    """A selector no pod template carries would find nothing on the cluster (and, in verify.py's
    pod kill, kill nothing)."""
    _, every = _label_selectors()
    templates = _pod_templates()

    for selector in every:
        assert any(_matches(selector, pod["metadata"].get("labels", {})) for _, pod in templates), selector


def test_deployments_scaled_by_an_hpa_leave_replicas_to_it() -> None:
    """A `replicas` in the manifest resets the HPA's choice on every `kubectl apply`."""
    scaled = {doc["spec"]["scaleTargetRef"]["name"] for doc in rendered() if doc["kind"] == "HorizontalPodAutoscaler"}

    assert scaled
    for doc in rendered():
        if doc["kind"] == "Deployment" and doc["metadata"]["name"] in scaled:
            assert "replicas" not in doc["spec"], _name(doc)


def _replicas_at_most(deployment: str) -> int:
    """The HPA's maxReplicas plus the rolling update's default surge (25%, rounded up)."""
    [hpa] = [
        d
        for d in rendered()
        if d["kind"] == "HorizontalPodAutoscaler" and d["spec"]["scaleTargetRef"]["name"] == deployment
    ]
    most = hpa["spec"]["maxReplicas"]
    return most + math.ceil(most * 0.25)


def test_every_state_store_pool_together_fits_in_postgres_max_connections() -> None:
    [store] = [doc for doc in rendered() if _name(doc) == "Component/statestore"]
    [postgres] = [doc for doc in rendered() if _name(doc) == "StatefulSet/postgres"]
    [container] = postgres["spec"]["template"]["spec"]["containers"]
    settings = dict(arg.split("=", 1) for arg in container["args"] if "=" in arg)
    usable = int(settings["max_connections"]) - 3  # superuser_reserved_connections
    max_conns = {item["name"]: item.get("value") for item in store["spec"]["metadata"]}["maxConns"]

    sidecars = sum(_replicas_at_most(app) for app in store["scopes"])
    assert sidecars * int(max_conns) <= usable, f"{sidecars} sidecars x maxConns {max_conns} > {usable}"


def test_the_namespace_is_written_once_in_the_scope_kustomization(tmp_path: Path) -> None:
    """Change the scope's `namespace:` line and nothing rendered (addresses, policies) keeps the old one."""
    for folder in ("k8s", "components", NAMESPACE):
        shutil.copytree(REPO / folder, tmp_path / folder)
    kustomization = tmp_path / NAMESPACE / "kustomization.yaml"
    kustomization.write_text(kustomization.read_text().replace(f"namespace: {NAMESPACE}\n", "namespace: elsewhere\n"))
    kubectl = Path(sys.executable).with_name("kubectl")
    output = subprocess.run(
        [str(kubectl), "kustomize", str(tmp_path / NAMESPACE)], check=True, capture_output=True, text=True
    ).stdout
    docs = [doc for doc in yaml.safe_load_all(output) if doc]

    assert NAMESPACE not in output
    assert {doc["metadata"].get("namespace", "elsewhere") for doc in docs} == {"elsewhere"}
    [config] = [doc for doc in docs if doc["kind"] == "Configuration"]
    assert {policy["namespace"] for policy in config["spec"]["accessControl"]["policies"]} == {"elsewhere"}
