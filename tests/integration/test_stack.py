"""The foundation's promises, checked against the running stack with plain clients."""

from __future__ import annotations

import uuid
from collections.abc import Callable
from contextlib import suppress
from typing import Any

import grpc
import httpx
import pytest
from dapr.proto import api_service_v1, api_v1

from devstack.smoke import KafkaMessage, SmokeTarget, run_smoke
from devstack.testing import RunningStack, read_topic

EXPECTED_ACTOR_TYPES = {"course-agent": "LearnerPlanActor", "user-progress": "LearnerProgressActor"}


@pytest.mark.parametrize("app_id", sorted(EXPECTED_ACTOR_TYPES))
def test_sidecar_is_connected_to_placement_and_hosts_the_apps_actor_type(
    stack: RunningStack, http: httpx.Client, app_id: str
) -> None:
    metadata = http.get(f"{stack.dapr_url(app_id)}/v1.0/metadata", headers=stack.dapr_headers).json()

    runtime = metadata["actorRuntime"]
    assert runtime["placement"] == "placement: connected"
    assert runtime["hostReady"] is True
    assert EXPECTED_ACTOR_TYPES[app_id] in {actor["type"] for actor in runtime["activeActors"]}
    assert {"statestore", "pubsub"} <= {component["name"] for component in metadata["components"]}


@pytest.mark.parametrize("app_id", sorted(EXPECTED_ACTOR_TYPES))
def test_app_is_ready_when_its_sidecar_and_components_are(stack: RunningStack, http: httpx.Client, app_id: str) -> None:
    response = http.get(f"{stack.app_url(app_id)}/readyz")

    assert response.status_code == 200
    assert response.json()["checks"] == {"sidecar": "ok", "components": "ok"}


def test_value_saved_through_a_sidecar_is_a_row_in_the_postgres_state_table(
    stack: RunningStack, http: httpx.Client, pg: object
) -> None:
    key = f"foundation-check-{uuid.uuid4()}"
    saved = http.post(
        f"{stack.dapr_url('course-agent')}/v1.0/state/statestore",
        json=[{"key": key, "value": {"hello": "postgres"}}],
        headers=stack.dapr_headers,
    )
    assert saved.status_code == 204

    row = pg.execute("select value from state where key = %s", (f"course-agent||{key}",)).fetchone()  # type: ignore[attr-defined]

    assert row == ({"hello": "postgres"},)


def test_sidecar_rejects_calls_without_the_dapr_api_token(stack: RunningStack, http: httpx.Client) -> None:
    response = http.get(f"{stack.dapr_url('user-progress')}/v1.0/metadata")

    assert response.status_code == 401


@pytest.mark.parametrize("path", ["/dapr/config", "/actors/LearnerPlanActor/x/method/GetKnowledge"])
def test_app_rejects_dapr_facing_calls_without_the_app_api_token(
    stack: RunningStack, http: httpx.Client, path: str
) -> None:
    method = "GET" if path == "/dapr/config" else "PUT"

    anonymous = http.request(method, f"{stack.app_url('course-agent')}{path}")
    as_sidecar = http.request(method, f"{stack.app_url('course-agent')}{path}", headers=stack.app_headers)

    assert anonymous.status_code == 401
    assert anonymous.headers["content-type"] == "application/problem+json"
    assert as_sidecar.status_code == 200


def test_a_learner_goes_end_to_end_through_both_services_and_kafka(stack: RunningStack, pg: Any) -> None:
    """The smoke `make verify` runs on a cluster (devstack.smoke), here against the local stack."""

    def read_from_stack(topic: str, match: Callable[[dict[str, Any]], bool]) -> KafkaMessage | None:
        with suppress(AssertionError):  # none yet: the smoke looks again
            value, key = read_topic(stack.kafka_bootstrap, topic, lambda value, _: match(value), timeout=10)
            return KafkaMessage(key, value)
        return None

    def agent_knowledge(learner_id: str) -> dict[str, Any] | None:
        key = f"course-agent||plan~{learner_id}~knowledge"
        row = pg.execute("select value from state where key = %s", (key,)).fetchone()
        return row[0] if row else None

    run_smoke(
        SmokeTarget(
            user_progress_url=stack.app_url("user-progress"),
            course_agent_url=stack.app_url("course-agent"),
            token=stack.issuer.token,
            read_topic=read_from_stack,
            agent_knowledge=agent_knowledge,
        )
    )


#: What each sidecar must refuse (its Configuration's spec.api.allowed does not list it), with the
#: token: the secrets and bindings APIs on both; invoke, the alpha state query and jobs on
#: user-progress, which calls no other app.
REFUSED = {
    "course-agent": ["/v1.0/secrets/kubernetes/postgres-credentials", "/v1.0/bindings/x", "/v1.0-alpha1/jobs/x"],
    "user-progress": [
        "/v1.0/secrets/kubernetes/postgres-credentials",
        "/v1.0/bindings/x",
        "/v1.0-alpha1/jobs/x",
        "/v1.0/invoke/course-agent/method/healthz",
        "/v1.0-alpha1/state/statestore/query",
    ],
}


@pytest.mark.parametrize(("app_id", "path"), [(app, path) for app, paths in REFUSED.items() for path in paths])
def test_sidecar_does_not_serve_an_api_its_allow_list_leaves_out(
    stack: RunningStack, http: httpx.Client, app_id: str, path: str
) -> None:
    method = "POST" if path.endswith("/query") or "/bindings/" in path else "GET"

    refused = http.request(method, f"{stack.dapr_url(app_id)}{path}", headers=stack.dapr_headers, json={})
    allowed = http.get(f"{stack.dapr_url(app_id)}/v1.0/metadata", headers=stack.dapr_headers)

    # The route does not exist: a plain 404, or on a sidecar that may invoke, the invoke API's
    # fallback (no app id in such a path).
    assert refused.status_code == 404, refused.text
    assert "ERR_SECRET" not in refused.text
    assert "ERR_STATE" not in refused.text
    if app_id == "course-agent":
        assert refused.json()["errorCode"] == "ERR_DIRECT_INVOKE"
    assert allowed.status_code == 200


def test_the_course_agent_sidecar_serves_invoke_and_the_state_query(stack: RunningStack, http: httpx.Client) -> None:
    invoked = http.get(
        f"{stack.dapr_url('course-agent')}/v1.0/invoke/user-progress/method/healthz", headers=stack.dapr_headers
    )
    queried = http.post(
        f"{stack.dapr_url('course-agent')}/v1.0-alpha1/state/statestore/query",
        headers=stack.dapr_headers,
        json={"filter": {"EQ": {"kind": "no-such-kind"}}, "page": {"limit": 1}},
    )

    assert invoked.status_code == 200
    assert queried.status_code in (200, 204), queried.text


@pytest.mark.parametrize("app_id", sorted(EXPECTED_ACTOR_TYPES))
def test_sidecar_grpc_api_serves_only_metadata(stack: RunningStack, app_id: str) -> None:
    port = stack.info["apps"][app_id]["dapr_grpc_port"]
    metadata = [("dapr-api-token", stack.info["tokens"]["DAPR_API_TOKEN"])]
    with grpc.insecure_channel(f"127.0.0.1:{port}") as channel:
        dapr = api_service_v1.DaprStub(channel)
        assert dapr.GetMetadata(api_v1.GetMetadataRequest(), metadata=metadata, timeout=10).id == app_id
        for method, request in (
            (dapr.GetSecret, api_v1.GetSecretRequest(store_name="kubernetes", key="x")),
            (dapr.GetState, api_v1.GetStateRequest(store_name="statestore", key="x")),
        ):
            with pytest.raises(grpc.RpcError) as refused:
                method(request, metadata=metadata, timeout=10)
            assert refused.value.code() == grpc.StatusCode.UNIMPLEMENTED
