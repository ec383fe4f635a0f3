"""What each service's OpenAPI shows a client: its own routes, once each; never the sidecar's."""

from __future__ import annotations

import warnings
from collections.abc import Callable
from typing import Any

import pytest
from fastapi import FastAPI
from fastapi.testclient import TestClient

from course_agent.api.lessons import GenerateLessonRequest
from course_agent.api.variants import VariantRequest
from course_agent.app import create_app as create_course_agent
from course_agent.settings import Settings as CourseAgentSettings
from devstack.testing import AppAuth
from user_progress.api.models import ProgressUpdate
from user_progress.app import create_app as create_user_progress
from user_progress.settings import Settings as UserProgressSettings

#: Every request body model of both services: each must carry examples the app accepts.
REQUEST_BODIES = (ProgressUpdate, GenerateLessonRequest, VariantRequest)
SERVICES: dict[str, tuple[Callable[[Any], FastAPI], type]] = {
    "user-progress": (create_user_progress, UserProgressSettings),
    "course-agent": (create_course_agent, CourseAgentSettings),
}


@pytest.fixture(params=sorted(SERVICES))
def app(request: pytest.FixtureRequest, app_auth: AppAuth) -> FastAPI:
    create_app, settings_type = SERVICES[request.param]
    return create_app(app_auth.settings(settings_type, request.param))


def test_openapi_leaves_out_the_routes_only_the_sidecar_calls(app: FastAPI) -> None:
    paths = app.openapi()["paths"]

    assert not [path for path in paths if path.startswith(("/actors", "/dapr", "/events"))]
    assert "dapr" not in {
        tag for operations in paths.values() for operation in operations.values() for tag in operation["tags"]
    }


def test_healthz_is_one_operation_of_the_health_router_with_no_duplicate_id(app: FastAPI) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # FastAPI warns about a duplicate operation id
        schema = app.openapi()

    assert schema["paths"]["/healthz"]["get"]["tags"] == ["health"]


def test_the_sidecar_still_reaches_the_actor_routes_and_only_the_sidecar_does(app: FastAPI) -> None:
    with TestClient(app) as client:
        config = client.get("/dapr/config", headers={"dapr-api-token": "app-token-for-tests"})
        stranger = client.get("/dapr/config")
        unknown = client.get("/no-such-route")

    assert config.status_code == 200
    assert config.json()["entities"]  # the actor types this app hosts
    assert stranger.status_code == 401
    assert unknown.status_code == 404
    assert unknown.headers["content-type"] == "application/problem+json"


@pytest.mark.parametrize(("seconds", "said"), [(None, "0h10m0s0ms0\u03bcs"), (90, "0h1m30s0ms0\u03bcs")])
def test_the_sidecar_is_told_to_deactivate_an_actor_idle_for_the_configured_time(
    app_auth: AppAuth, seconds: int | None, said: str
) -> None:
    """Dapr's own default is an hour: every learner of the last hour held in memory (Phase 18)."""
    extra = {} if seconds is None else {"ACTOR_IDLE_SECONDS": seconds}
    for create_app, settings_type in SERVICES.values():
        with TestClient(create_app(app_auth.settings(settings_type, "app", **extra))) as client:
            config = client.get("/dapr/config", headers={"dapr-api-token": "app-token-for-tests"}).json()

        assert config["actorIdleTimeout"] == said


def test_every_request_body_has_examples_the_app_accepts(app: FastAPI) -> None:
    """An example in the docs that the app refuses would teach a frontend the wrong thing."""
    schema = app.openapi()
    bodies = [
        (path, operation["requestBody"]["content"]["application/json"]["schema"]["$ref"].rsplit("/", 1)[-1])
        for path, operations in schema["paths"].items()
        for operation in operations.values()
        if "requestBody" in operation
    ]
    models = {model.__name__: model for model in REQUEST_BODIES}

    assert bodies
    for path, name in bodies:
        assert name in models, f"{path}: add {name} to REQUEST_BODIES"
        examples = schema["components"]["schemas"][name].get("examples")
        assert examples, f"{path}: {name} has no example"
        for example in examples:
            models[name].model_validate(example)
