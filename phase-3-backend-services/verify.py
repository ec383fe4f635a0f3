"""`make verify`: the deployed system does what the product promises, checked from outside.

1. every pod in the namespace is ready;
2. each service's daprd sidecar reports placement connected and its app's actor types, and does not
   serve the secrets API (its Configuration's API allow-list leaves it out);
   the database: the state store's role `learnflow` is no superuser and may create neither roles nor
   databases, owns the state store's tables, and connects only encrypted; over the network neither an
   unencrypted connection nor the superuser gets in; the NetworkPolicies are in place (the default
   deny, DNS, PostgreSQL, Kafka, the topics Job, one per service), and a pod no policy lets out tries
   PostgreSQL: whether the network plugin enforces them is reported, not required (a plain bridge
   does not); each Kafka topic keeps, as the broker reports it, what the deployment declares (the
   broker's bounds, the dead letters' month);
3. every service pod accepts a token of the development issuer (`make secrets` keeps its key in
   --auth-dir; a Secret `auth-jwks` replaced since the pods started reaches them within a minute or
   two, so this waits that long);
4. end to end through port-forwards, the smoke every environment runs (devstack.smoke): a new
   learner updates progress and reads the status; authentication and authorisation on both services
   (no token or a forged one is 401, a learner's token reading another learner is 403, the lesson
   feed of everyone needs the admin scope); the progress event on Kafka (read with Kafka's own
   console consumer) reaches the Course Agent's knowledge (its state row); a generated lesson's
   event on Kafka reaches the learner's status at User Progress;
5. the access-control policy: through the Course Agent's sidecar (service invocation, no bearer
   token), `GET /status` of User Progress is allowed and `POST /update-progress` is refused;
6. a User Progress pod is killed while a client inside the cluster keeps recording events through
   the Service with an admin token (retrying a failed call with the same event id, as clients
   should): the pod is replaced and every acknowledged event is counted, none twice.
Exits non-zero, saying which step failed.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import re
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import httpx

from devstack.auth import DevIssuer
from devstack.smoke import (
    KafkaMessage,
    SmokeFailure,
    SmokeTarget,
    bearer,
    console_consumer_messages,
    first_match,
    run_smoke,
)
from learnflow_common.events import DEAD_LETTER_SUFFIX

ACTOR_TYPES = {
    "course-agent": {"LearnerPlanActor", "LessonFeedActor", "LessonFeedCatalogActor"},
    "user-progress": {"LearnerProgressActor", "LeaderboardActor"},
}
APP_PORTS = {"course-agent": 8001, "user-progress": 8002}
#: A learner-scoped read of each service: what step 3 polls and step 4 probes.
LEARNER_READS = {"course-agent": "/lessons", "user-progress": "/status"}
#: Where `make secrets` keeps the development issuer's key (the Makefile passes it).
AUTH_DIR = Path(__file__).resolve().parents[1] / ".stack-k8s/auth"
#: The heap of a Kafka tool run in the broker's container, which would otherwise take the broker's own
#: KAFKA_HEAP_OPTS (up to 768 MB) beside the broker.
TOOL_HEAP = "-Xmx128m"
#: The NetworkPolicies besides one per service: k8s/policies and k8s/infra.
BASELINE_POLICIES = {"default-deny", "allow-dns", "postgres", "kafka", "kafka-topics"}
#: The Dapr state store's tables (components/statestore.yaml: tableName, metadataTableName).
STATE_TABLES = ["dapr_metadata", "state"]
ROLE_FLAGS = (
    "SELECT rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
    "FROM pg_roles WHERE rolname = 'learnflow'"
)
TABLE_OWNERS = (
    "SELECT tablename || ' ' || tableowner FROM pg_tables "
    f"WHERE tablename IN ({', '.join(repr(table) for table in STATE_TABLES)}) ORDER BY 1"
)
#: The Course Agent's knowledge of a learner: its plain key `<app>||plan~<id>~knowledge`.
KNOWLEDGE = "SELECT value FROM state WHERE key = 'course-agent||plan~{learner}~knowledge'"
ENCRYPTED_CONNECTIONS = (
    "SELECT count(*) FILTER (WHERE s.ssl), count(*) FILTER (WHERE NOT s.ssl) "
    "FROM pg_stat_activity a JOIN pg_stat_ssl s USING (pid) WHERE a.usename = 'learnflow'"
)


def run(kubectl: str, *args: str) -> str:
    return subprocess.run([kubectl, *args], check=True, capture_output=True, text=True).stdout


@contextlib.contextmanager
def port_forward(kubectl: str, namespace: str, target: str, local: int, remote: int) -> Iterator[str]:
    process = subprocess.Popen(
        [kubectl, "-n", namespace, "port-forward", target, f"{local}:{remote}"],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        url = f"http://127.0.0.1:{local}"
        for _ in range(50):
            with contextlib.suppress(httpx.HTTPError):
                httpx.get(url, timeout=1)
                break
            time.sleep(0.2)
        yield url
    finally:
        process.terminate()
        process.wait(10)


def step(name: str) -> None:
    print(f"verify: {name}", flush=True)


def fail(message: str) -> int:
    print(f"verify: FAILED: {message}", file=sys.stderr)
    return 1


def pods_trust_the_issuer(kubectl: str, namespace: str, admin: str, timeout: float = 240) -> str | None:
    """Waits until every service pod lets an admin token's read through: 200, or 404 for a learner
    it has never seen (not 401: the pod does not know the key yet). None, or what a pod still answered."""
    deadline = time.monotonic() + timeout
    for offset, (service, path) in enumerate(LEARNER_READS.items()):
        listed = run(kubectl, "-n", namespace, "get", "pods", "-l", f"app.kubernetes.io/name={service}", "-o", "json")
        # Not the pods of a finished rollout that are still shutting down.
        names = [f"pod/{item['metadata']['name']}" for item in json.loads(listed)["items"]
                 if not item["metadata"].get("deletionTimestamp")]  # fmt: skip
        for number, pod in enumerate(names):
            with port_forward(kubectl, namespace, pod, 18100 + 10 * offset + number, APP_PORTS[service]) as url:
                last = f"{pod} did not answer"
                while True:
                    with contextlib.suppress(httpx.HTTPError):
                        answer = httpx.get(f"{url}{path}", params={"learner_id": "verify-probe"},
                                           headers=bearer(admin), timeout=30)  # fmt: skip
                        if answer.status_code in (200, 404):
                            break
                        last = f"{pod} answered {answer.status_code}: {answer.text[:300]}"
                    if time.monotonic() > deadline:
                        return last
                    time.sleep(5)
    return None


def psql(kubectl: str, namespace: str, sql: str, database: str = "postgres") -> str:
    """A query as the superuser, inside the PostgreSQL pod (over its socket: the only way in for it)."""
    return run(
        kubectl, "-n", namespace, "exec", "postgres-0", "-c", "postgres", "--",
        "psql", "-X", "-tA", "-v", "ON_ERROR_STOP=1", "-h", "/var/run/postgresql", "-U", "postgres", "-d", database,
        "-c", sql,
    ).strip()  # fmt: skip


def kafka_tool(kubectl: str, namespace: str, tool: str, *args: str) -> str:
    """What one of Kafka's own tools (``/opt/kafka/bin/<tool>``) prints, run in the broker's pod
    against the broker, on a heap of its own."""
    return run(
        kubectl, "-n", namespace, "exec", "kafka-0", "--", "env", f"KAFKA_HEAP_OPTS={TOOL_HEAP}",
        f"/opt/kafka/bin/{tool}", "--bootstrap-server", "localhost:9092", *args,
    )  # fmt: skip


def consumed(kubectl: str, namespace: str, topic: str) -> list[KafkaMessage]:
    """Every message of ``topic`` so far, read with Kafka's own console consumer in the Kafka pod."""
    return console_consumer_messages(
        kafka_tool(
            kubectl, namespace, "kafka-console-consumer.sh",
            "--topic", topic, "--from-beginning", "--timeout-ms", "15000", "--property", "print.key=true",
        )
    )  # fmt: skip


def agent_knowledge(kubectl: str, namespace: str, learner: str) -> dict[str, Any] | None:
    """The Course Agent's stored knowledge of ``learner`` (its plain state row), None while it has none."""
    if not re.fullmatch(r"[A-Za-z0-9._:@-]+", learner):
        raise ValueError(f"not a learner id to put in a query: {learner!r}")
    row = psql(kubectl, namespace, KNOWLEDGE.format(learner=learner), database="learnflow")
    return json.loads(row) if row else None


def state_store_role_is_confined(kubectl: str, namespace: str) -> str | None:
    """The state store's role `learnflow` may do no more than own its database; its connections (the
    sidecars') are encrypted; over the network an unencrypted connection and the superuser are
    refused. None, or what is wrong."""
    flags = psql(kubectl, namespace, ROLE_FLAGS)
    print(f"verify:   role learnflow: superuser|createrole|createdb|replication|bypassrls = {flags}", flush=True)
    if flags != "f|f|f|f|f":
        return f"the state store's role has rights it must not have: {flags!r}"
    owners = psql(kubectl, namespace, TABLE_OWNERS, database="learnflow")
    print(f"verify:   state store tables and owners: {owners.splitlines()}", flush=True)
    if owners.splitlines() != [f"{table} learnflow" for table in STATE_TABLES]:
        return f"the state store's tables are not learnflow's: {owners!r}"
    connections = psql(kubectl, namespace, ENCRYPTED_CONNECTIONS)
    encrypted, plain = (int(count) for count in connections.split("|"))
    print(f"verify:   connections of learnflow: {encrypted} over TLS, {plain} unencrypted", flush=True)
    if not encrypted or plain:
        return f"the state store's connections are not all encrypted: {encrypted} over TLS, {plain} not"
    # Over TCP (127.0.0.1: pg_hba.conf's host rules hold for every address), each with its right
    # password from the pod's environment (expanded in the pod, never on a command line here).
    for conninfo, password in (
        ("host=127.0.0.1 dbname=learnflow user=learnflow sslmode=disable", "LEARNFLOW_PASSWORD"),
        ("host=127.0.0.1 dbname=postgres user=postgres sslmode=require", "POSTGRES_PASSWORD"),
    ):
        attempt = subprocess.run(
            [kubectl, "-n", namespace, "exec", "postgres-0", "-c", "postgres", "--", "sh", "-c",
             f'PGPASSWORD="${password}" psql -X -tA "{conninfo}" -c "SELECT 1"'],
            capture_output=True, text=True,
        )  # fmt: skip
        refused = attempt.returncode != 0 and "no pg_hba.conf entry" in attempt.stderr
        print(f"verify:   {conninfo}: {'refused' if refused else 'LET IN'}", flush=True)
        if not refused:
            return f"{conninfo} was not refused by pg_hba.conf: {attempt.stdout.strip()} {attempt.stderr.strip()}"
    return None


def kafka_keeps_what_it_declares(kubectl: str, namespace: str) -> str | None:
    """Each topic's effective retention, as the broker reports it, is what the deployment declares:
    the broker's bounds (StatefulSet kafka) and the dead letters' month (Job kafka-topics). None, or
    what differs."""

    def declared(kind: str, name: str) -> dict[str, str]:
        spec = json.loads(run(kubectl, "-n", namespace, "get", kind, name, "-o", "json"))["spec"]["template"]["spec"]
        return {item["name"]: item["value"] for item in spec["containers"][0].get("env", []) if "value" in item}

    broker, job = declared("statefulset", "kafka"), declared("job", "kafka-topics")
    for topic in job["TOPICS"].split():
        described = kafka_tool(
            kubectl,
            namespace,
            "kafka-configs.sh",
            "--describe",
            "--all",
            "--entity-type",
            "topics",
            "--entity-name",
            topic,
        )
        effective = dict(re.findall(r"^\s*(retention\.ms|retention\.bytes|segment\.bytes)=(\S+)", described, re.M))
        kept_ms = int(broker["KAFKA_LOG_RETENTION_HOURS"]) * 3600 * 1000
        expected = {
            "retention.ms": job["DEAD_LETTER_RETENTION_MS"] if topic.endswith(DEAD_LETTER_SUFFIX) else str(kept_ms),
            "retention.bytes": broker["KAFKA_LOG_RETENTION_BYTES"],
            "segment.bytes": broker["KAFKA_LOG_SEGMENT_BYTES"],
        }
        print(f"verify:   {topic}: {effective}", flush=True)
        if effective != expected:
            return f"topic {topic} keeps {effective}, the deployment declares {expected}"
    return None


def network_policies_in_place(kubectl: str, namespace: str) -> str | None:
    """The scope's NetworkPolicies exist, the default deny isolating every pod both ways."""
    listed = json.loads(run(kubectl, "-n", namespace, "get", "networkpolicies", "-o", "json"))["items"]
    policies = {item["metadata"]["name"]: item["spec"] for item in listed}
    print(f"verify:   NetworkPolicies: {sorted(policies)}", flush=True)
    if missing := (BASELINE_POLICIES | set(ACTOR_TYPES)) - set(policies):
        return f"NetworkPolicies missing: {sorted(missing)}"
    deny = policies["default-deny"]
    if deny.get("podSelector") or set(deny.get("policyTypes", [])) != {"Ingress", "Egress"} or deny.get("ingress") \
            or deny.get("egress"):  # fmt: skip
        return f"default-deny does not deny everything to every pod: {deny}"
    return None


def network_policies_enforced(kubectl: str, namespace: str) -> str:
    """What a pod that no policy lets out (but to DNS) finds at PostgreSQL's port: no answer where the
    network plugin enforces NetworkPolicy, an answer where it does not. A sentence saying which."""
    image = run(kubectl, "-n", namespace, "get", "statefulset", "postgres",
                "-o", "jsonpath={.spec.template.spec.containers[0].image}")  # fmt: skip
    name = f"netpol-probe-{uuid.uuid4().hex[:6]}"
    probe = ["pg_isready", "-h", "postgres", "-p", "5432", "-t", "5"]
    overrides = {
        "apiVersion": "v1",
        "spec": {
            "automountServiceAccountToken": False,
            "securityContext": {"runAsNonRoot": True, "runAsUser": 999, "seccompProfile": {"type": "RuntimeDefault"}},
            "containers": [{
                "name": "probe", "image": image, "command": probe,
                "securityContext": {"allowPrivilegeEscalation": False, "capabilities": {"drop": ["ALL"]}},
            }],
        },
    }  # fmt: skip
    run(kubectl, "-n", namespace, "run", name, f"--image={image}", "--restart=Never",
        "--labels=app.kubernetes.io/name=netpol-probe", f"--overrides={json.dumps(overrides)}")  # fmt: skip
    try:
        phase, deadline = "", time.monotonic() + 180
        while phase not in ("Succeeded", "Failed") and time.monotonic() < deadline:
            time.sleep(2)
            phase = run(kubectl, "-n", namespace, "get", "pod", name, "-o", "jsonpath={.status.phase}")
        said = subprocess.run([kubectl, "-n", namespace, "logs", name], capture_output=True, text=True).stdout.strip()
    finally:
        run(kubectl, "-n", namespace, "delete", "pod", name, "--wait=false", "--ignore-not-found")
    if phase == "Succeeded":
        return (f"NOT enforced by this cluster's network plugin: a pod no policy lets out reached postgres:5432 "
                f"({' '.join(probe)}: {said!r})")  # fmt: skip
    if phase == "Failed":
        return f"enforced: a pod no policy lets out did not reach postgres:5432 ({' '.join(probe)}: {said!r})"
    return f"unknown: the probe pod did not finish in time (phase {phase!r})"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--namespace", required=True, help="the scope's namespace (make verify passes it)")
    parser.add_argument("--kubectl", default="kubectl")
    parser.add_argument("--auth-dir", type=Path, default=AUTH_DIR, help="the development issuer's key (make secrets)")
    args = parser.parse_args()
    kubectl, namespace = args.kubectl, args.namespace
    issuer = DevIssuer(args.auth_dir)
    if not issuer.key_file.is_file():
        return fail(f"no development issuer key in {args.auth_dir}: `make secrets` (or `make deploy`) makes it")

    step("all pods ready")
    run(
        kubectl,
        "-n",
        namespace,
        "wait",
        "--for=condition=ready",
        "pod",
        "-l",
        "app.kubernetes.io/part-of=learnflow",
        "--field-selector=status.phase=Running",
        "--timeout=300s",
    )

    token = base64.b64decode(
        run(kubectl, "-n", namespace, "get", "secret", "dapr-api-token", "-o", "jsonpath={.data.token}")
    ).decode()
    for offset, (service, actor_types) in enumerate(ACTOR_TYPES.items()):
        step(f"{service}: sidecar connected to placement with actors {sorted(actor_types)}, no secrets API")
        with port_forward(kubectl, namespace, f"deployment/{service}", 13500 + offset, 3500) as dapr:
            metadata = httpx.get(f"{dapr}/v1.0/metadata", headers={"dapr-api-token": token}, timeout=10).json()
            # its Configuration's API allow-list leaves the secrets API out: the route does not exist
            secret = httpx.get(
                f"{dapr}/v1.0/secrets/kubernetes/postgres-credentials", headers={"dapr-api-token": token}, timeout=10
            )
        if secret.status_code != 404 or "ERR_SECRET" in secret.text:
            return fail(f"{service}: the sidecar serves the secrets API ({secret.status_code}: {secret.text[:200]})")
        runtime = metadata["actorRuntime"]
        registered = {actor["type"] for actor in runtime["activeActors"]}
        if runtime.get("placement") != "placement: connected" or not actor_types <= registered:
            print(f"verify: FAILED for {service}: {json.dumps(runtime)}", file=sys.stderr)
            return 1

    step("PostgreSQL: the state store's own role, confined, and only over TLS")
    if problem := state_store_role_is_confined(kubectl, namespace):
        return fail(problem)
    step("NetworkPolicies: the default deny and each component's own")
    if problem := network_policies_in_place(kubectl, namespace):
        return fail(problem)
    print(f"verify:   NetworkPolicies {network_policies_enforced(kubectl, namespace)}", flush=True)
    step("Kafka: each topic keeps what the deployment declares (bounded by the volume; dead letters a month)")
    if problem := kafka_keeps_what_it_declares(kubectl, namespace):
        return fail(problem)

    admin = issuer.token("verify-admin", scopes=("admin",))
    step(f"every service pod trusts the development issuer (key {issuer.kid})")
    started = time.monotonic()
    if still_refused := pods_trust_the_issuer(kubectl, namespace, admin):
        return fail(f"a pod still refuses the issuer's tokens: {still_refused}")
    print(f"verify:   trusted after {time.monotonic() - started:.0f} s", flush=True)

    with (
        port_forward(kubectl, namespace, "service/user-progress", 18002, APP_PORTS["user-progress"]) as progress,
        port_forward(kubectl, namespace, "service/course-agent", 18001, APP_PORTS["course-agent"]) as agent,
    ):
        target = SmokeTarget(
            user_progress_url=progress,
            course_agent_url=agent,
            token=issuer.token,
            read_topic=lambda topic, match: first_match(consumed(kubectl, namespace, topic), match),
            agent_knowledge=lambda learner: agent_knowledge(kubectl, namespace, learner),
            say=step,
        )
        try:
            smoke = run_smoke(target)
        except SmokeFailure as failure:
            return fail(str(failure))
    learner, event = smoke.learner_id, smoke.progress_event

    step("access control: course-agent may GET /status of user-progress (no bearer token), not POST /update-progress")
    with port_forward(kubectl, namespace, "deployment/course-agent", 13510, 3500) as dapr:
        headers = {"dapr-api-token": token}
        allowed = httpx.get(
            f"{dapr}/v1.0/invoke/user-progress/method/status",
            params={"learner_id": learner},
            headers=headers,
            timeout=30,
        )
        refused = httpx.post(
            f"{dapr}/v1.0/invoke/user-progress/method/update-progress", json=event, headers=headers, timeout=30
        )
    if allowed.status_code != 200 or refused.status_code != 403:
        print(
            f"verify: FAILED: GET /status answered {allowed.status_code} (want 200), POST /update-progress "
            f"{refused.status_code} (want 403): {refused.text[:300]}",
            file=sys.stderr,
        )
        return 1

    step("kill a user-progress pod under load: it is replaced and no acknowledged update is lost")
    return pod_kill_loses_nothing(kubectl, namespace, admin)


#: Runs inside the course-agent pod (its image has Python and httpx): records events for one learner
#: through the user-progress Service, retrying each failed call with the same event id until it is
#: acknowledged, and prints how many it sent and what /status counts afterwards. Its bearer token (an
#: admin's: not rate limited) comes on stdin, not in the command line.
CLIENT = """
import sys, time, uuid, datetime, httpx
learner, total = sys.argv[1], int(sys.argv[2])
token = sys.stdin.readline().strip()
url = "http://user-progress:8002"
acknowledged = 0
with httpx.Client(timeout=10, headers={"Authorization": f"Bearer {token}"}) as client:
    for number in range(total):
        body = {"event_id": f"{learner}-{number:05d}", "learner_id": learner, "activity": "quiz",
                "topic": "loops", "score": 70,
                "completed_at": datetime.datetime.now(datetime.UTC).isoformat()}
        for attempt in range(120):
            try:
                if client.post(f"{url}/update-progress", json=body).status_code == 200:
                    acknowledged += 1
                    break
            except httpx.HTTPError:
                pass
            time.sleep(0.5)
        else:
            sys.exit(f"event {number} never acknowledged")
        time.sleep(0.05)
    status = client.get(f"{url}/status", params={"learner_id": learner}).json()
print(acknowledged, status["events_recorded"])
"""


def pod_kill_loses_nothing(kubectl: str, namespace: str, token: str, total: int = 150) -> int:
    learner = f"verify-kill-{uuid.uuid4().hex[:8]}"
    pods = run(kubectl, "-n", namespace, "get", "pods", "-l", "app.kubernetes.io/name=user-progress", "-o", "name")
    victim = pods.split()[0]
    client = subprocess.Popen(
        [kubectl, "-n", namespace, "exec", "-i", "deployment/course-agent", "-c", "course-agent", "--",
         "python3", "-c", CLIENT, learner, str(total)],
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )  # fmt: skip
    assert client.stdin is not None
    client.stdin.write(token + "\n")
    client.stdin.flush()  # not closed: communicate() below closes it
    time.sleep(4)
    run(kubectl, "-n", namespace, "delete", victim, "--grace-period=0", "--force", "--wait=false")
    out, err = client.communicate(timeout=600)
    if client.returncode != 0:
        print(f"verify: FAILED: the client in the cluster stopped: {err[-500:]}", file=sys.stderr)
        return 1
    acknowledged, recorded = (int(value) for value in out.split()[-2:])
    run(kubectl, "-n", namespace, "rollout", "status", "deployment/user-progress", "--timeout=300s")
    print(f"verify: {acknowledged} events acknowledged, {recorded} recorded, {victim} killed and replaced")
    if acknowledged != total or recorded != total:
        print(f"verify: FAILED: {total} sent, {acknowledged} acknowledged, {recorded} recorded", file=sys.stderr)
        return 1
    print("verify: OK")
    return 0


if __name__ == "__main__":
    sys.exit(main())
