"""The OpenAPI document says what the problem handlers answer (schemathesis holds the running apps
to it: tests/integration/test_api_fuzz.py)."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from fastapi import APIRouter
from fastapi.testclient import TestClient
from pydantic import BaseModel

from devstack.testing import AppAuth
from learnflow_common.app import create_dapr_app
from learnflow_common.auth import Caller
from learnflow_common.problems import PROBLEM_JSON
from learnflow_common.settings import DaprAppSettings

router = APIRouter()


class Thing(BaseModel):
    name: str


@router.post("/things", responses={409: {"description": "name taken"}})
async def create_thing(body: Thing, caller: Caller) -> dict[str, str]:
    return {"name": body.name}


@router.get("/things/{name}")
async def get_thing(name: str) -> dict[str, str]:
    return {"name": name}


@pytest.fixture
def client(app_auth: AppAuth) -> Iterator[TestClient]:
    settings = app_auth.settings(DaprAppSettings, "demo")
    app = create_dapr_app(
        title="demo",
        version="0",
        description="",
        settings=settings,
        routers=[router],
        actor_types=[],
        required_components=(),
    )
    with TestClient(app, headers=app_auth.bearer(None, "admin")) as test_client:
        yield test_client


@pytest.fixture
def document(client: TestClient) -> dict[str, Any]:
    return client.get("/openapi.json").json()  # type: ignore[no-any-return]


def test_every_error_response_is_a_problem(document: dict[str, Any]) -> None:
    for path in ("/things", "/things/{name}"):
        for operation in document["paths"][path].values():
            for status, response in operation["responses"].items():
                if status[0] in "45":
                    assert response["content"] == {
                        PROBLEM_JSON: {"schema": {"$ref": "#/components/schemas/Problem"}}
                    }, (path, status)
    assert "HTTPValidationError" not in document["components"]["schemas"]
    assert document["components"]["schemas"]["Problem"]["required"] == ["type", "title", "status"]


def test_an_authenticated_route_with_a_body_documents_what_any_such_route_can_answer(document: dict[str, Any]) -> None:
    responses = document["paths"]["/things"]["post"]["responses"]

    assert list(responses) == ["200", "400", "401", "403", "409", "413", "422", "503"]
    assert responses["409"]["description"] == "name taken"
    assert responses["401"]["headers"]["WWW-Authenticate"]["required"] is True
    assert responses["503"]["headers"]["Retry-After"]["required"] is True


def test_a_public_route_without_a_body_documents_only_its_own_errors(document: dict[str, Any]) -> None:
    assert list(document["paths"]["/things/{name}"]["get"]["responses"]) == ["200", "422"]


def test_a_body_that_is_not_utf8_is_a_400_problem(client: TestClient) -> None:
    # Found by the API fuzzer: FastAPI answers 400 for a JSON body it cannot decode; it was undocumented.
    response = client.post("/things", content=b'{"name": "\xff\xfe"}', headers={"content-type": "application/json"})

    assert response.status_code == 400
    assert response.headers["content-type"] == PROBLEM_JSON
    assert response.json()["type"].endswith("/bad-request")
    assert response.json()["title"] == "Bad request"
