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

from devstack.stack import DEAD_LETTER_RETENTION
from learnflow_common.events import KAFKA_TOPICS

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
    if doc["kind"] == "Configuration":
        doc["spec"].pop("accessControl", None)
        doc["spec"].pop("tracing", None)
    return doc


def test_cluster_dapr_resources_are_the_local_files_plus_only_the_documented_patches() -> None:
    cluster = {_name(doc): doc for doc in rendered() if doc["apiVersion"].startswith("dapr.io")}
    local = _local_dapr_resources()

    assert set(cluster) == set(local)
    for name, doc in cluster.items():
        assert _without_cluster_patches(doc) == _without_cluster_patches(local[name]), name


def test_cluster_sidecars_sample_no_traces_while_no_collector_is_named() -> None:
    """Locally the sidecars send spans to the stack's sink on 127.0.0.1; in a pod that address is
    the pod itself, so the cluster's Configurations turn sampling off instead of exporting nowhere."""
    configurations = [doc for doc in rendered() if doc["kind"] == "Configuration"]

    assert configurations
    assert all(doc["spec"]["tracing"] == {"samplingRate": "0"} for doc in configurations)


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


@pytest.mark.parametrize("service", SERVICES)
def test_sidecars_run_on_one_go_processor_as_in_the_local_stack(service: str) -> None:
    """Go would give daprd two processors under a 500m limit (it rounds a CPU limit under 2 up to
    2); one spent 10-17% less of the sidecar's CPU per update (PROFILE.md, Phase 17). devstack's
    default (SIDECAR_GOMAXPROCS) is the same."""
    [deployment] = [doc for doc in rendered() if _name(doc) == f"Deployment/{service}"]

    assert deployment["spec"]["template"]["metadata"]["annotations"]["dapr.io/env"] == "GOMAXPROCS=1"


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


def _quantity_bytes(quantity: str) -> int:
    """A Kubernetes storage quantity in the binary units the manifests use (``2Gi``)."""
    units = {"Ki": 2**10, "Mi": 2**20, "Gi": 2**30, "Ti": 2**40}
    number, unit = re.fullmatch(r"(\d+)([KMGT]i)", quantity).groups()  # type: ignore[union-attr]
    return int(number) * units[unit]


def _kafka() -> tuple[dict[str, str], int, dict[str, str]]:
    """The broker's environment, its volume's size, and the topics Job's environment."""
    [broker] = [doc for doc in rendered() if _name(doc) == "StatefulSet/kafka"]
    [container] = broker["spec"]["template"]["spec"]["containers"]
    [claim] = broker["spec"]["volumeClaimTemplates"]
    [job] = [doc for doc in rendered() if _name(doc) == "Job/kafka-topics"]
    [creator] = job["spec"]["template"]["spec"]["containers"]
    return (
        {item["name"]: item["value"] for item in container["env"]},
        _quantity_bytes(claim["spec"]["resources"]["requests"]["storage"]),
        {item["name"]: item["value"] for item in creator["env"]},
    )


#: What the volume keeps free for Kafka's own topics (consumer offsets, compacted; the KRaft metadata log).
KAFKA_INTERNAL_ALLOWANCE = 512 * 2**20


def test_the_cluster_broker_at_its_retention_bounds_fits_its_volume() -> None:
    """Kafka deletes whole closed segments: a partition holds at most its retention bytes plus one
    segment. Every partition of the platform's topics full, and room for Kafka's own, fit the volume
    with a tenth to spare."""
    broker, volume, topics = _kafka()
    partitions = len(topics["TOPICS"].split()) * int(topics["PARTITIONS"])
    per_partition = int(broker["KAFKA_LOG_RETENTION_BYTES"]) + int(broker["KAFKA_LOG_SEGMENT_BYTES"])

    assert int(broker["KAFKA_LOG_RETENTION_BYTES"]) > 0  # -1 (Kafka's default) is no bound at all
    # a tenth spare: the file system's own, and the retention check runs every 5 minutes
    assert partitions * per_partition + KAFKA_INTERNAL_ALLOWANCE <= 0.9 * volume


def test_the_cluster_creates_the_platforms_topics_with_the_brokers_partitions() -> None:
    broker, _, topics = _kafka()

    assert tuple(topics["TOPICS"].split()) == KAFKA_TOPICS
    assert topics["PARTITIONS"] == broker["KAFKA_NUM_PARTITIONS"]


def test_the_clusters_dead_letters_wait_a_month_as_the_local_stacks_do() -> None:
    broker, _, topics = _kafka()

    assert topics["DEAD_LETTER_RETENTION_MS"] == DEAD_LETTER_RETENTION["retention.ms"]
    assert int(topics["DEAD_LETTER_RETENTION_MS"]) > int(broker["KAFKA_LOG_RETENTION_HOURS"]) * 3600 * 1000


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
    configs = [doc for doc in docs if doc["kind"] == "Configuration"]
    assert configs
    for config in configs:
        assert {policy["namespace"] for policy in config["spec"]["accessControl"]["policies"]} == {"elsewhere"}


# ------------------------------------------------------------------------------- network policies
# A reading of the scope's NetworkPolicies as the API defines them (a pod selected by a policy of a
# type is isolated for it; a connection needs the source's egress and the destination's ingress;
# named ports resolve on the destination pod), to check what they allow and what not. Whether a
# cluster enforces them is its network plugin's business (README): this checks their meaning only.

DAPRD_PORTS = [("dapr-http", 3500, "TCP"), ("dapr-grpc", 50001, "TCP"), ("dapr-internal", 50002, "TCP"),
               ("dapr-metrics", 9090, "TCP")]  # fmt: skip


class Endpoint:
    """A pod (namespace, labels, named container ports) or, with namespace None, a client outside the cluster."""

    def __init__(self, name: str, namespace: str | None, labels: dict[str, str], ports: list[tuple[str, int, str]]):
        self.name, self.namespace, self.labels, self.ports = name, namespace, labels, ports

    def __repr__(self) -> str:
        return self.name


def _scope_pods() -> dict[str, Endpoint]:
    pods = {}
    for name, template in _pod_templates():
        labels = template["metadata"]["labels"]
        ports = [(p.get("name", ""), p["containerPort"], p.get("protocol", "TCP"))
                 for c in template["spec"]["containers"] for p in c.get("ports", [])]  # fmt: skip
        if template["metadata"].get("annotations", {}).get("dapr.io/enabled") == "true":
            ports += DAPRD_PORTS  # the sidecar the injector adds
        pods[name.split("/")[1]] = Endpoint(name, NAMESPACE, labels, ports)
    return pods


OUTSIDE = Endpoint("a client outside the cluster", None, {}, [("", 443, "TCP")])
#: CoreDNS as Minikube runs it (53) and as `make cluster-up` does (1053 behind the Service's 53).
DNS = [
    Endpoint("coredns", "kube-system", {"k8s-app": "kube-dns"}, [("dns", 53, "UDP"), ("dns-tcp", 53, "TCP")]),
    Endpoint("coredns-1053", "kube-system", {"k8s-app": "kube-dns"}, [("dns", 1053, "UDP"), ("dns-tcp", 1053, "TCP")]),
]
#: The Dapr control plane's pods, at the ports daprd reaches (the chart's target ports).
DAPR_PORTS = {"sentry": 50001, "operator": 6500, "placement": 50005, "scheduler": 50006}
DAPR = {
    name: Endpoint(name, "dapr-system", {"app": f"dapr-{name}"}, [("", port, "TCP")])
    for name, port in DAPR_PORTS.items()
}
#: A pod of the namespace that no policy but the baseline selects (verify.py's probe).
STRANGER = Endpoint("a pod without a policy of its own", NAMESPACE, {"app.kubernetes.io/name": "netpol-probe"}, [])


def _selects(selector: dict[str, Any], labels: dict[str, str]) -> bool:
    assert set(selector) <= {"matchLabels"}, f"only matchLabels is read here: {selector}"
    return all(labels.get(key) == value for key, value in selector.get("matchLabels", {}).items())


def _peer_matches(peer: dict[str, Any], other: Endpoint) -> bool:
    assert set(peer) <= {"podSelector", "namespaceSelector"}, f"only pod and namespace selectors are read: {peer}"
    if other.namespace is None:  # outside the cluster: only an ipBlock (none here) would match
        return False
    if "namespaceSelector" in peer:
        if not _selects(peer["namespaceSelector"], {"kubernetes.io/metadata.name": other.namespace}):
            return False
    elif other.namespace != NAMESPACE:
        return False
    return _selects(peer.get("podSelector", {}), other.labels)


def _port_matches(rule_ports: list[dict[str, Any]] | None, destination: Endpoint, port: int, protocol: str) -> bool:
    if not rule_ports:
        return True
    for item in rule_ports:
        if item.get("protocol", "TCP") != protocol:
            continue
        wanted = item.get("port")
        if wanted is None or wanted == port:
            return True
        if isinstance(wanted, str) and (wanted, port, protocol) in destination.ports:
            return True
    return False


def _allowed(source: Endpoint, destination: Endpoint, port: int, protocol: str = "TCP") -> bool:
    policies = [doc for doc in rendered() if doc["kind"] == "NetworkPolicy"]

    def side(pod: Endpoint, kind: str, peer: Endpoint) -> bool:
        if pod.namespace != NAMESPACE:
            return True  # not ours to restrict
        selecting = [
            policy["spec"]
            for policy in policies
            if _selects(policy["spec"]["podSelector"], pod.labels) and kind in policy["spec"]["policyTypes"]
        ]
        if not selecting:
            return True
        key, peers = ("egress", "to") if kind == "Egress" else ("ingress", "from")
        return any(
            (not rule.get(peers) or any(_peer_matches(p, peer) for p in rule[peers]))
            and _port_matches(rule.get("ports"), destination, port, protocol)
            for spec in selecting
            for rule in spec.get(key, [])
        )

    return side(source, "Egress", destination) and side(destination, "Ingress", source)


def test_every_pod_of_the_scope_is_isolated_both_ways_by_a_default_deny() -> None:
    [deny] = [doc for doc in rendered() if _name(doc) == "NetworkPolicy/default-deny"]

    assert deny["spec"] == {"podSelector": {}, "policyTypes": ["Ingress", "Egress"]}
    for pod in [*_scope_pods().values(), STRANGER]:
        assert not _allowed(OUTSIDE, pod, 5432), pod
        assert not _allowed(pod, OUTSIDE, 443), pod


@pytest.mark.parametrize("service", SERVICES)
def test_each_service_has_its_own_network_policy(service: str) -> None:
    [policy] = [doc for doc in rendered() if _name(doc) == f"NetworkPolicy/{service}"]

    assert policy["spec"]["podSelector"] == {"matchLabels": {"app.kubernetes.io/name": service}}


def test_network_policies_allow_what_each_component_needs() -> None:
    pods = _scope_pods()
    services = [pods[name] for name in SERVICES]
    postgres, kafka, topics = pods["postgres"], pods["kafka"], pods["kafka-topics"]
    app_port = {pod.name: next(port for name, port, _ in pod.ports if name == "http") for pod in services}
    needed = [(OUTSIDE, service, app_port[service.name]) for service in services]  # the public APIs
    for service in services:
        needed += [(service, postgres, 5432), (service, kafka, 9092)]
        needed += [(service, dapr, dapr.ports[0][1]) for dapr in DAPR.values()]
        for other in services:  # sidecar to sidecar (the same service's replicas too), app to app
            needed += [(service, other, 50002), (service, other, app_port[other.name])]
    needed += [(topics, kafka, 9092)]

    for source, destination, port in needed:
        assert _allowed(source, destination, port), f"{source} -> {destination}:{port}"
    for pod in [*pods.values(), STRANGER]:
        for dns in DNS:
            assert _allowed(pod, dns, dns.ports[0][1], "UDP"), (pod, dns)
            assert _allowed(pod, dns, dns.ports[1][1], "TCP"), (pod, dns)


def test_network_policies_refuse_what_no_component_needs() -> None:
    pods = _scope_pods()
    services = [pods[name] for name in SERVICES]
    postgres, kafka, topics = pods["postgres"], pods["kafka"], pods["kafka-topics"]
    refused = [(OUTSIDE, postgres, 5432), (OUTSIDE, kafka, 9092), (STRANGER, postgres, 5432), (STRANGER, kafka, 9092)]
    refused += [(topics, postgres, 5432), (kafka, postgres, 5432), (postgres, kafka, 9092)]
    refused += [(pod, OUTSIDE, 443) for pod in pods.values()]  # nothing leaves the cluster
    refused += [(pod, DAPR["sentry"], 50001) for pod in (postgres, kafka, topics)]
    for service in services:
        refused += [(OUTSIDE, service, port) for port in (50002, 3500, 50001, 9090)]  # daprd is not public
        refused += [(STRANGER, service, 50002), (DAPR["operator"], service, 50002)]
        refused += [(service, kafka, 9093), (service, postgres, 5433)]  # only the client ports

    for source, destination, port in refused:
        assert not _allowed(source, destination, port), f"{source} -> {destination}:{port}"


# ------------------------------------------------------------------------------- PostgreSQL roles
def _postgres() -> tuple[dict[str, Any], dict[str, Any]]:
    [statefulset] = [doc for doc in rendered() if _name(doc) == "StatefulSet/postgres"]
    [container] = statefulset["spec"]["template"]["spec"]["containers"]
    return statefulset["spec"]["template"]["spec"], container


def _hba_rules() -> list[list[str]]:
    text = (REPO / "k8s/infra/postgres/pg_hba.conf").read_text()
    return [line.split() for line in text.splitlines() if line.strip() and not line.startswith("#")]


def test_over_the_network_postgres_admits_only_the_state_store_role_to_its_database_over_tls() -> None:
    _, container = _postgres()
    settings = dict(arg.split("=", 1) for arg in container["args"] if "=" in arg)

    assert settings["ssl"] == "on"
    assert settings["hba_file"].endswith("/pg_hba.conf")
    network = [rule for rule in _hba_rules() if rule[0] != "local"]
    assert network == [["hostssl", "learnflow", "learnflow", "all", "scram-sha-256"]]


def test_the_superuser_is_not_the_state_store_role_and_its_secret_is_the_postgres_pods_alone() -> None:
    _, container = _postgres()
    env = {item["name"]: item for item in container["env"]}

    assert env["POSTGRES_USER"]["value"] == "postgres"
    assert env["POSTGRES_PASSWORD"]["valueFrom"]["secretKeyRef"]["name"] == "postgres-superuser"
    assert env["LEARNFLOW_PASSWORD"]["valueFrom"]["secretKeyRef"] == {"name": "postgres-credentials", "key": "password"}
    for name, pod in _pod_templates():
        if name != "StatefulSet/postgres":
            assert "postgres-superuser" not in json.dumps(pod), name
            assert "postgres-tls" not in json.dumps(pod), name


def test_the_state_store_role_is_made_without_superuser_rights_owning_its_database() -> None:
    script = (REPO / "k8s/infra/postgres/learnflow-role.sh").read_text()
    spec, container = _postgres()
    mounts = {mount["name"]: mount["mountPath"] for mount in container["volumeMounts"]}
    [initdb] = [volume for volume in spec["volumes"] if volume["name"] == "initdb"]

    assert mounts["initdb"] == "/docker-entrypoint-initdb.d"
    assert initdb["configMap"]["items"] == [{"key": "learnflow-role.sh", "path": "learnflow-role.sh"}]
    assert "ALTER ROLE learnflow WITH LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE NOREPLICATION NOBYPASSRLS" in script
    assert "ALTER DATABASE learnflow OWNER TO learnflow;" in script
