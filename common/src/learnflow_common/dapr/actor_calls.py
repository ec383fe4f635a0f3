"""daprd's calls of actor methods, answered without FastAPI's routing.

Every update makes daprd call back into an app for an actor method: the learner's ``RecordEvent``,
the leaderboard shard's ``RecordWeekXp``, the Course Agent's ``ApplyProgress``. Through FastAPI each
such call cost ~0.35 ms of the app's CPU before the actor ran (``PROFILE.md``, Phase 11), most of it
matching the request against the route table twice: once by the HTTP metrics middleware to name
the route (these calls are then left out of its metrics anyway), once by the router.

:class:`ActorMethodCalls` answers ``PUT /actors/<type>/<id>/method/<method>`` itself, exactly as
the SDK's route does (``dapr.ext.fastapi.actor``, kept registered as the reference the tests compare
against): ``ActorRuntime.dispatch`` with the raw body and the reentrancy id; its bytes as a 200; an
error as a 500 whose JSON body daprd hands back to the caller (``learnflow_common.dapr.errors``
reads it). It sits inside the app-token guard and the body limit, so those still apply; reminders,
timers, deactivations and everything else go on to the app.
"""

from __future__ import annotations

import json
import re
from types import SimpleNamespace
from typing import Any

from dapr.actor import ActorRuntime
from dapr.clients.exceptions import ERROR_CODE_UNKNOWN, DaprInternalError

from learnflow_common.middleware import ASGIApp, Receive, Scope, Send

#: The SDK's route ``/actors/{actor_type_name}/{actor_id}/method/{method_name}``: no segment holds
#: a '/', so reminders (``method/remind/<name>``) and timers (``method/timer/<name>``) do not match.
METHOD_CALL = re.compile(r"/actors/([^/]+)/([^/]+)/method/([^/]+)")
#: How the access line names a method call answered here (``scope["route"]``, read for its ``path`` as
#: the router's route would be): the SDK's route's template.
METHOD_CALL_ROUTE = SimpleNamespace(path="/actors/{actor_type_name}/{actor_id}/method/{method_name}")
#: What the SDK's route answers a method's result with.
RESULT_CONTENT_TYPE = b"application/json; utf-8"
REENTRANCY_ID_HEADER = b"dapr-reentrancy-id"


class ActorMethodCalls:
    """ASGI middleware: actor method calls straight to the SDK's actor runtime (module docstring)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        call = METHOD_CALL.fullmatch(scope["path"]) if scope["type"] == "http" and scope["method"] == "PUT" else None
        if call is None:
            await self.app(scope, receive, send)
            return
        body = await _read_body(receive)
        if body is None:  # the sidecar went away before sending the whole body: nobody to answer
            return
        scope["route"] = METHOD_CALL_ROUTE
        actor_type, actor_id, method = call.groups()
        reentrancy_id = next(
            (value.decode("latin-1") for key, value in scope["headers"] if key == REENTRANCY_ID_HEADER), None
        )
        try:
            result = await ActorRuntime.dispatch(actor_type, actor_id, method, body, reentrancy_id)
        except DaprInternalError as error:
            await _answer(send, 500, error.as_json_safe_dict())
        except Exception as error:  # as the SDK's route: the caller gets the method's error
            await _answer(send, 500, repr(error), ERROR_CODE_UNKNOWN)
        else:
            await _answer(send, 200, result)


async def _read_body(receive: Receive) -> bytes | None:
    """The whole request body; ``None`` if the client disconnected first."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.disconnect":
            return None
        chunks.append(message.get("body", b""))
        if not message.get("more_body", False):
            return b"".join(chunks)


async def _answer(send: Send, status: int, message: Any, error_code: str | None = None) -> None:
    """As the SDK's ``_wrap_response``: bytes as they are; a string as ``{"message": ...}`` (with the
    error code on an error); anything else as JSON, rendered as Starlette's ``JSONResponse`` does."""
    content_type = b"application/json"
    if isinstance(message, bytes):
        body, content_type = message, RESULT_CONTENT_TYPE
    else:
        if isinstance(message, str):
            message = {
                "message": message,
                **({"errorCode": error_code} if not 200 <= status < 300 and error_code else {}),
            }
        body = json.dumps(message, ensure_ascii=False, allow_nan=False, indent=None, separators=(",", ":")).encode()
    headers = [(b"content-length", str(len(body)).encode()), (b"content-type", content_type)]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})
