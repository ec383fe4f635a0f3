"""ASGI middleware both apps install: the app API token guard and the request body limit."""

from __future__ import annotations

import hmac
import json
from collections.abc import Awaitable, Callable, MutableMapping
from typing import Any

from learnflow_common.problems import PROBLEM_BASE, PROBLEM_JSON
from learnflow_common.subscriptions import DeliveryStatus, sidecar_answer

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]

#: Routes only the sidecar calls: its config and actor calls, and subscription deliveries.
DAPR_FACING_PREFIXES = ("/dapr/", "/actors/", "/events/")
#: Subscription deliveries: the sidecar reads only a 2xx answer's ``status``.
SUBSCRIPTION_PREFIX = "/events/"


async def _send_problem(send: Send, status: int, slug: str, title: str, detail: str) -> None:
    body = json.dumps({"type": PROBLEM_BASE + slug, "title": title, "status": status, "detail": detail}).encode()
    await send(
        {
            "type": "http.response.start",
            "status": status,
            "headers": [(b"content-type", PROBLEM_JSON.encode()), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


async def _send_drop(send: Send) -> None:
    """Answers a subscription delivery DROP: the sidecar moves it to the dead-letter topic."""
    body = json.dumps(sidecar_answer(DeliveryStatus.DROP)).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 200,
            "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())],
        }
    )
    await send({"type": "http.response.body", "body": body})


class AppTokenGuard:
    """Rejects calls to Dapr-facing routes that lack the sidecar's ``dapr-api-token`` header.

    Public routes are called by clients directly on the app port and are not affected.
    """

    def __init__(self, app: ASGIApp, token: str) -> None:
        self.app = app
        self.token = token.encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http" and scope["path"].startswith(DAPR_FACING_PREFIXES):
            given = dict(scope["headers"]).get(b"dapr-api-token", b"")
            if not hmac.compare_digest(given, self.token):
                await _send_problem(
                    send, 401, "unauthorized", "Unauthorized", "This route only answers the Dapr sidecar."
                )
                return
        await self.app(scope, receive, send)


class BodySizeLimit:
    """Refuses request bodies over ``max_bytes`` with 413, before any handler sees them.

    A subscription delivery may be a bulk one of many messages: it is held to ``max_delivery_bytes``
    (what the broker can deliver at once), and each event in it to ``max_bytes`` by the delivery
    code (``learnflow_common.subscriptions``), which drops an oversized one alone."""

    def __init__(self, app: ASGIApp, max_bytes: int, max_delivery_bytes: int) -> None:
        self.app = app
        self.max_request_bytes = max_bytes
        self.max_delivery_bytes = max_delivery_bytes

    async def _refuse(self, scope: Scope, send: Send, detail: str) -> None:
        if scope["path"].startswith(SUBSCRIPTION_PREFIX):
            await _send_drop(send)
        else:
            await _send_problem(send, 413, "payload-too-large", "Request body too large", detail)

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        max_bytes = self.max_delivery_bytes if scope["path"].startswith(SUBSCRIPTION_PREFIX) else self.max_request_bytes
        declared = dict(scope["headers"]).get(b"content-length")
        if declared is not None and declared.isdigit() and int(declared) > max_bytes:
            await self._refuse(scope, send, f"The body is {int(declared)} bytes; the limit is {max_bytes}.")
            return
        if declared is not None:
            await self.app(scope, receive, send)  # the server stops at the declared length
            return
        # No length given (chunked): read up to the limit first, then hand the app what was read.
        chunks: list[bytes] = []
        size = 0
        while True:
            message = await receive()
            if message["type"] != "http.request":
                await self.app(scope, _replay([], message, receive), send)
                return
            chunks.append(message.get("body", b""))
            size += len(chunks[-1])
            if size > max_bytes:
                await self._refuse(scope, send, f"The body exceeds the limit of {max_bytes} bytes.")
                return
            if not message.get("more_body", False):
                break
        await self.app(scope, _replay(chunks, None, receive), send)


def _replay(chunks: list[bytes], then: Message | None, server_receive: Receive) -> Receive:
    """A receive() that gives the buffered body once, then what the server sends next."""
    pending: list[Message] = [{"type": "http.request", "body": b"".join(chunks), "more_body": False}] if chunks else []
    if then is not None:
        pending.append(then)

    async def receive() -> Message:
        if pending:
            return pending.pop(0)
        return await server_receive()

    return receive
