"""The shared app skeleton: token guard, body limit, problem+json errors (no sidecar needed)."""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel, Field

from devstack.testing import AppAuth
from learnflow_common.app import create_dapr_app
from learnflow_common.auth import Caller
from learnflow_common.dapr import SidecarRefused, SidecarUnavailable
from learnflow_common.settings import DaprAppSettings

router = APIRouter()


class Body(BaseModel):
    name: str = Field(min_length=1)


@router.post("/things")
async def create_thing(body: Body) -> dict[str, str]:
    return {"name": body.name}


@router.get("/down")
async def down() -> None:
    raise SidecarUnavailable("ERR_STATE_GET: failed to connect to `host=10.1.2.3 user=learnflow`", "state-store")


@router.get("/refused")
async def refused() -> None:
    raise SidecarRefused("ERR_STATE_SAVE: unsupported Unicode escape sequence (SQLSTATE 22P05)", "state-store")


@router.get("/refused-too-large")
async def refused_too_large() -> None:
    raise SidecarRefused("ERR_BAD_REQUEST: stream too large", "dapr-sidecar", 413)


@router.get("/whoami")
async def whoami(caller: Caller) -> dict[str, object]:
    return {"subject": caller.subject, "scopes": sorted(caller.scopes)}


@router.post("/events/demo")
async def delivery() -> dict[str, str]:
    return {"status": "SUCCESS"}


@pytest.fixture
def client(app_auth: AppAuth) -> Iterator[TestClient]:
    settings = app_auth.settings(
        DaprAppSettings, "demo", MAX_BODY_BYTES=1024, MAX_DELIVERY_BYTES=1536, RETRY_AFTER_SECONDS=7
    )
    app = create_dapr_app(
        title="demo",
        version="0",
        description="",
        settings=settings,
        routers=[router],
        actor_types=[],
        required_components=(),
    )
    with TestClient(app) as test_client:
        yield test_client


def test_dapr_facing_route_rejects_a_call_without_the_app_token(client: TestClient) -> None:
    assert client.post("/events/demo").status_code == 401
    assert client.post("/events/demo", headers={"dapr-api-token": "wrong"}).status_code == 401
    assert client.post("/events/demo", headers={"dapr-api-token": "app-token-for-tests"}).status_code == 200


@pytest.mark.parametrize("authorization", [None, "", "Bearer", "Bearer ", "Basic dXNlcjpwYXNz", "Token abc"])
def test_a_route_with_a_caller_challenges_a_request_without_a_bearer_token(
    client: TestClient, authorization: str | None
) -> None:
    """No error code in the challenge when no bearer token was sent at all (RFC 6750, 3.1)."""
    headers = {} if authorization is None else {"Authorization": authorization}
    response = client.get("/whoami", headers=headers)

    assert response.status_code == 401
    assert response.headers["content-type"] == "application/problem+json"
    assert response.headers["www-authenticate"] == 'Bearer realm="learnflow"'
    assert "needs a bearer token" in response.json()["detail"]


def test_a_route_with_a_caller_refuses_a_bearer_token_that_is_not_a_valid_jwt(client: TestClient) -> None:
    response = client.get("/whoami", headers={"Authorization": "Bearer not-a-jwt"})

    assert response.status_code == 401
    assert response.headers["www-authenticate"] == 'Bearer realm="learnflow", error="invalid_token"'


def test_a_route_with_a_caller_takes_a_bearer_token_whatever_the_scheme_s_case(
    client: TestClient, app_auth: AppAuth
) -> None:
    token = app_auth.bearer("learner-1", "admin")["Authorization"].removeprefix("Bearer ")

    for scheme in ("Bearer", "bearer", "BEARER"):
        response = client.get("/whoami", headers={"Authorization": f"{scheme} {token}"})
        assert response.json() == {"subject": "learner-1", "scopes": ["admin"]}, scheme


def test_a_call_through_the_app_s_own_sidecar_is_a_service_named_by_its_caller(client: TestClient) -> None:
    headers = {"dapr-api-token": "app-token-for-tests", "dapr-caller-app-id": "course-agent"}

    assert client.get("/whoami", headers=headers).json() == {"subject": "app:course-agent", "scopes": ["service"]}


def test_openapi_documents_the_caller_s_bearer_scheme(client: TestClient) -> None:
    document = client.get("/openapi.json").json()

    assert document["components"]["securitySchemes"] == {
        "HTTPBearer": {
            "type": "http",
            "scheme": "bearer",
            "bearerFormat": "JWT",
            "description": "A LearnFlow access token (JWT).",
        }
    }
    assert document["paths"]["/whoami"]["get"]["security"] == [{"HTTPBearer": []}]
    assert "security" not in document["paths"]["/things"]["post"]


def test_public_route_needs_no_token(client: TestClient) -> None:
    assert client.post("/things", json={"name": "x"}).status_code == 200


def test_invalid_body_is_422_problem_naming_the_field(client: TestClient) -> None:
    response = client.post("/things", json={"name": ""})

    assert response.status_code == 422
    assert response.headers["content-type"] == "application/problem+json"
    assert response.json()["errors"][0]["field"] == "name"
    assert "name" in response.json()["detail"]


def test_body_over_the_limit_is_413_problem(client: TestClient) -> None:
    response = client.post(
        "/things", content=b'{"name": "' + b"x" * 2000 + b'"}', headers={"content-type": "application/json"}
    )

    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")


def test_a_subscription_delivery_may_exceed_the_request_limit_up_to_the_delivery_limit(client: TestClient) -> None:
    """A bulk delivery holds many events; each is held to the request limit by the delivery code."""
    response = client.post(
        "/events/demo",
        content=b'{"id": "' + b"x" * 1200 + b'"}',
        headers={"content-type": "application/json", "dapr-api-token": "app-token-for-tests"},
    )

    assert response.json() == {"status": "SUCCESS"}


def test_subscription_delivery_over_the_delivery_limit_is_answered_drop_so_it_goes_to_the_dead_letters(
    client: TestClient,
) -> None:
    """Dapr retries any non-2xx answer; a 413 would redeliver the same too-large message forever."""
    response = client.post(
        "/events/demo",
        content=b'{"id": "' + b"x" * 2000 + b'"}',
        headers={"content-type": "application/json", "dapr-api-token": "app-token-for-tests"},
    )

    assert response.status_code == 200
    assert response.json() == {"status": "DROP"}


def test_chunked_subscription_delivery_over_the_limit_is_answered_drop(client: TestClient) -> None:
    response = client.post(
        "/events/demo",
        content=iter([b'{"id": "', b"x" * 2000, b'"}']),
        headers={"content-type": "application/json", "dapr-api-token": "app-token-for-tests"},
    )

    assert response.status_code == 200
    assert response.json() == {"status": "DROP"}


def test_unavailable_dependency_is_503_with_retry_after(client: TestClient) -> None:
    response = client.get("/down")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.json()["dependency"] == "state-store"


def test_an_outage_names_the_dependency_but_never_its_raw_error(client: TestClient) -> None:
    """The store's own words can name hosts, users and SQL: they stay in the log."""
    body = client.get("/down").text

    assert "10.1.2.3" not in body
    assert "learnflow" not in body.replace("learnflow.dev/problems", "")


def test_a_refused_request_is_500_problem_without_retry_after(client: TestClient) -> None:
    response = client.get("/refused")

    assert response.status_code == 500
    assert response.headers["content-type"] == "application/problem+json"
    assert "retry-after" not in response.headers
    assert response.json()["type"].endswith("/dependency-refused")
    assert response.json()["dependency"] == "state-store"


def test_a_request_over_the_sidecars_limit_is_413_problem_without_retry_after(client: TestClient) -> None:
    response = client.get("/refused-too-large")

    assert response.status_code == 413
    assert "retry-after" not in response.headers
    assert response.json()["type"].endswith("/payload-too-large")


def test_unknown_route_is_404_problem(client: TestClient) -> None:
    response = client.get("/nope")

    assert response.status_code == 404
    assert response.headers["content-type"] == "application/problem+json"


def test_app_starts_without_its_sidecar_and_says_it_is_not_ready(client: TestClient) -> None:
    response = client.get("/readyz")

    assert response.status_code == 503
    assert response.headers["retry-after"] == "7"
    assert response.json()["checks"]["sidecar"] == "unreachable"
    assert client.get("/healthz").status_code == 200


def test_chunked_body_over_the_limit_is_413_problem(client: TestClient) -> None:
    def chunks() -> Iterator[bytes]:
        yield b'{"name": "'
        for _ in range(40):
            yield b"x" * 100
        yield b'"}'

    response = client.post("/things", content=chunks(), headers={"content-type": "application/json"})

    assert response.status_code == 413
    assert response.json()["type"].endswith("/payload-too-large")


def test_chunked_body_under_the_limit_reaches_the_route(client: TestClient) -> None:
    response = client.post(
        "/things", content=iter([b'{"name": ', b'"small"}']), headers={"content-type": "application/json"}
    )

    assert response.json() == {"name": "small"}


@pytest.mark.parametrize("variable", ["APP_API_TOKEN", "DAPR_API_TOKEN"])
def test_an_empty_token_refuses_to_start_instead_of_opening_the_guard(variable: str) -> None:
    from pydantic import ValidationError

    from learnflow_common.settings import DaprAppSettings

    values = {
        "APP_ID": "x",
        "APP_PORT": 1,
        "DAPR_API_TOKEN": "dapr-token-for-tests",
        "APP_API_TOKEN": "app-token-for-tests",
        variable: " ",
    }

    with pytest.raises(ValidationError, match=f"{variable}\\n.*must not be empty"):
        DaprAppSettings(**values)


#: Settings an app starts with (no sidecar needed to build them).
MINIMAL_SETTINGS = {
    "APP_ID": "x",
    "APP_PORT": 1,
    "DAPR_API_TOKEN": "dapr-token-for-tests",
    "APP_API_TOKEN": "app-token-for-tests",
    "AUTH_JWKS_URL": "https://issuer.invalid/jwks.json",
}


@pytest.mark.parametrize("variable", ["APP_API_TOKEN", "DAPR_API_TOKEN"])
@pytest.mark.parametrize("short", ["s3cr3t", "x" * 15, " " + "y" * 15 + " "])
def test_a_short_token_refuses_to_start_naming_the_variable_not_the_value(variable: str, short: str) -> None:
    from pydantic import ValidationError

    from learnflow_common.settings import MIN_TOKEN_LENGTH, DaprAppSettings

    values = {**MINIMAL_SETTINGS, variable: short}

    with pytest.raises(
        ValidationError, match=f"{variable}\\n.*shorter than the minimum of {MIN_TOKEN_LENGTH}"
    ) as refused:
        DaprAppSettings(**values)
    assert short.strip() not in str(refused.value)


@pytest.mark.parametrize("variable", ["APP_API_TOKEN", "DAPR_API_TOKEN"])
def test_a_token_of_the_minimum_length_is_accepted(variable: str) -> None:
    from learnflow_common.settings import MIN_TOKEN_LENGTH, DaprAppSettings

    token = "k" * MIN_TOKEN_LENGTH
    values = {**MINIMAL_SETTINGS, variable: token}

    settings = DaprAppSettings(**values)

    assert getattr(settings, variable.lower()).get_secret_value() == token
    assert MIN_TOKEN_LENGTH == 16


def test_without_a_jwks_no_token_could_be_checked_so_the_app_refuses_to_start() -> None:
    from pydantic import ValidationError

    values = {
        "APP_ID": "x",
        "APP_PORT": 1,
        "DAPR_API_TOKEN": "dapr-token-for-tests",
        "APP_API_TOKEN": "app-token-for-tests",
    }

    with pytest.raises(ValidationError, match="AUTH_JWKS_FILE and AUTH_JWKS_URL"):
        DaprAppSettings(**values)
