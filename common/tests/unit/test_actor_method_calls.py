"""The app answers daprd's actor method calls itself (``ActorMethodCalls``) exactly as the SDK's
FastAPI route does: the SDK's route, still registered, is the reference both are compared with."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from typing import Any
from urllib.parse import quote

import pytest
from dapr.actor import ActorRuntime
from dapr.clients.exceptions import DaprInternalError
from fastapi import FastAPI
from fastapi.testclient import TestClient
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from devstack.testing import AppAuth
from learnflow_common.app import create_dapr_app
from learnflow_common.dapr.actor_calls import ActorMethodCalls
from learnflow_common.settings import DaprAppSettings

TOKEN = "app-token-for-tests"


class ScriptedDispatch:
    """Stands in for the actor runtime's dispatch (the subject here is the HTTP around it): records
    each call and answers what the test scripted."""

    def __init__(self) -> None:
        self.outcome: Any = b"{}"
        self.calls: list[tuple[str, str, str, bytes, str | None]] = []

    async def __call__(
        self, actor_type: str, actor_id: str, method: str, body: bytes, reentrancy_id: str | None = None
    ) -> Any:
        self.calls.append((actor_type, actor_id, method, body, reentrancy_id))
        if isinstance(self.outcome, BaseException):
            raise self.outcome
        return self.outcome


@pytest.fixture
def dispatch(monkeypatch: pytest.MonkeyPatch) -> ScriptedDispatch:
    scripted = ScriptedDispatch()
    monkeypatch.setattr(ActorRuntime, "dispatch", scripted)
    return scripted


def _app(app_auth: AppAuth, *, lean: bool) -> FastAPI:
    app = create_dapr_app(
        title="demo",
        version="0",
        description="",
        settings=app_auth.settings(DaprAppSettings, "demo"),
        routers=[],
        actor_types=[],
        required_components=(),
    )
    if not lean:  # the reference: the same app with the middleware taken out
        app.user_middleware = [entry for entry in app.user_middleware if entry.cls is not ActorMethodCalls]
    return app


@pytest.fixture
def clients(app_auth: AppAuth) -> Iterator[tuple[TestClient, TestClient]]:
    with TestClient(_app(app_auth, lean=True)) as lean, TestClient(_app(app_auth, lean=False)) as reference:
        yield lean, reference


#: Path segments; "." and ".." are not names, the client resolves them away.
names = st.text(alphabet=st.characters(codec="utf-8", exclude_characters="/\x00"), min_size=1, max_size=20).filter(
    lambda name: name not in (".", "..")
)
outcomes = st.one_of(
    st.binary(max_size=300),
    st.none(),
    st.builds(
        DaprInternalError,
        st.one_of(st.none(), st.text(max_size=40)),
        st.sampled_from(["UNKNOWN", "ERR_ACTOR_RUNTIME_NOT_FOUND"]),
        st.one_of(st.none(), st.binary(max_size=20)),
    ),
    st.builds(ValueError, st.text(max_size=40)),
    st.builds(RuntimeError, st.text(max_size=40)),
)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(
    actor_type=names,
    actor_id=names,
    method=names,
    body=st.binary(max_size=500),
    reentrancy_id=st.one_of(st.none(), st.text(alphabet="abcdef0123456789-", min_size=1, max_size=36)),
    outcome=outcomes,
)
def test_an_actor_method_call_is_answered_as_the_sdks_route_answers_it(
    clients: tuple[TestClient, TestClient],
    dispatch: ScriptedDispatch,
    actor_type: str,
    actor_id: str,
    method: str,
    body: bytes,
    reentrancy_id: str | None,
    outcome: Any,
) -> None:
    url = f"/actors/{quote(actor_type, safe='')}/{quote(actor_id, safe='')}/method/{quote(method, safe='')}"
    headers = {"dapr-api-token": TOKEN, **({"Dapr-Reentrancy-Id": reentrancy_id} if reentrancy_id else {})}
    dispatch.outcome = outcome
    answers = []
    for client in clients:
        dispatch.calls.clear()
        answer = client.put(url, content=body, headers=headers)
        answers.append((answer.status_code, answer.headers.get("content-type"), answer.content, dispatch.calls[:]))
    lean, reference = answers
    assert lean == reference
    assert lean[3] == [(actor_type, actor_id, method, body, reentrancy_id)]


def test_an_actor_method_call_is_logged_under_the_sdks_route_template_as_the_sdks_route_logs_it(
    clients: tuple[TestClient, TestClient], dispatch: ScriptedDispatch, caplog: pytest.LogCaptureFixture
) -> None:
    routes = []
    for client in clients:
        caplog.clear()
        with caplog.at_level(logging.DEBUG, logger="learnflow.access"):
            client.put("/actors/LearnerActor/ada/method/RecordEvent", content=b"{}", headers={"dapr-api-token": TOKEN})
        routes.append([record.route for record in caplog.records if record.name == "learnflow.access"])
    lean, reference = routes
    assert lean == reference == ["/actors/{actor_type_name}/{actor_id}/method/{method_name}"]


def test_reminders_timers_and_deactivations_still_reach_the_sdks_routes(
    clients: tuple[TestClient, TestClient], monkeypatch: pytest.MonkeyPatch, dispatch: ScriptedDispatch
) -> None:
    fired: list[tuple[str, ...]] = []

    async def fire_reminder(actor_type: str, actor_id: str, name: str, body: bytes) -> None:
        fired.append(("reminder", actor_type, actor_id, name))

    async def fire_timer(actor_type: str, actor_id: str, name: str, body: bytes) -> None:
        fired.append(("timer", actor_type, actor_id, name))

    async def deactivate(actor_type: str, actor_id: str) -> None:
        fired.append(("deactivate", actor_type, actor_id))

    monkeypatch.setattr(ActorRuntime, "fire_reminder", fire_reminder)
    monkeypatch.setattr(ActorRuntime, "fire_timer", fire_timer)
    monkeypatch.setattr(ActorRuntime, "deactivate", deactivate)
    lean, _ = clients
    headers = {"dapr-api-token": TOKEN}
    assert lean.put("/actors/Learner/ada/method/remind/outbox-retry", content=b"{}", headers=headers).status_code == 200
    assert lean.put("/actors/Learner/ada/method/timer/tick", content=b"{}", headers=headers).status_code == 200
    assert lean.delete("/actors/Learner/ada", headers=headers).status_code == 200
    assert fired == [
        ("reminder", "Learner", "ada", "outbox-retry"),
        ("timer", "Learner", "ada", "tick"),
        ("deactivate", "Learner", "ada"),
    ]
    assert dispatch.calls == []


def test_an_actor_method_call_without_the_app_token_never_reaches_the_actor(
    clients: tuple[TestClient, TestClient], dispatch: ScriptedDispatch
) -> None:
    lean, _ = clients
    assert lean.put("/actors/Learner/ada/method/RecordEvent", content=b"{}").status_code == 401
    assert (
        lean.put(
            "/actors/Learner/ada/method/RecordEvent", content=b"{}", headers={"dapr-api-token": "wrong"}
        ).status_code
        == 401
    )
    assert dispatch.calls == []


def test_an_actor_method_call_over_the_body_limit_is_refused_before_the_actor(
    app_auth: AppAuth, dispatch: ScriptedDispatch
) -> None:
    app = create_dapr_app(
        title="demo",
        version="0",
        description="",
        settings=app_auth.settings(DaprAppSettings, "demo", MAX_BODY_BYTES=1024),
        routers=[],
        actor_types=[],
        required_components=(),
    )
    with TestClient(app) as client:
        answer = client.put(
            "/actors/Learner/ada/method/RecordEvent", content=b"x" * 2000, headers={"dapr-api-token": TOKEN}
        )
    assert answer.status_code == 413
    assert dispatch.calls == []


def test_other_methods_and_paths_on_the_actor_prefix_go_on_to_the_app(
    clients: tuple[TestClient, TestClient], dispatch: ScriptedDispatch
) -> None:
    lean, reference = clients
    headers = {"dapr-api-token": TOKEN}
    for method, url in (("POST", "/actors/Learner/ada/method/RecordEvent"), ("PUT", "/actors/Learner/ada/method/")):
        assert (
            lean.request(method, url, headers=headers).status_code
            == reference.request(method, url, headers=headers).status_code
        )
    assert dispatch.calls == []
