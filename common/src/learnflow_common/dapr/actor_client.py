"""The actors' own calls to the sidecar (state, reminders) over one kept-alive connection pool.

The SDK's ``DaprHttpClient`` opens an ``aiohttp.ClientSession``, and so a new TCP connection, for
every call: with three state calls per update that was 8% of the app's CPU in connection set-up
alone (benchmarks/results/PROFILE.md). This client sends the same requests, with the same headers,
retry policy and errors, through one session that lives as long as the app, and with the trace
context of the actor's turn (learnflow_common.tracing).
"""

from __future__ import annotations

from collections.abc import Mapping

import aiohttp
from dapr.clients._constants import DEFAULT_JSON_CONTENT_TYPE
from dapr.clients.http.client import DaprHttpClient
from dapr.clients.http.conf import CONTENT_TYPE_HEADER, DAPR_API_TOKEN_HEADER, DAPR_USER_AGENT, USER_AGENT_HEADER
from dapr.clients.http.dapr_actor_http_client import DaprActorHttpClient
from dapr.conf import settings
from dapr.serializers import Serializer

from learnflow_common.tracing import trace_headers


class PooledDaprHttpClient(DaprHttpClient):
    def __init__(self, message_serializer: Serializer, timeout: int) -> None:
        super().__init__(message_serializer, timeout)
        self._session: aiohttp.ClientSession | None = None

    def _pool(self) -> aiohttp.ClientSession:
        """Made on first use, inside the app's running event loop (a session belongs to one loop)."""
        if self._session is None or self._session.closed:
            # no cap: calls queued on a busy actor each hold a connection, and others must not wait
            self._session = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=0))
        return self._session

    async def send_bytes(
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, bytes | str] | None = None,
        query_params: Mapping[str, str] | None = None,
        timeout: int | None = None,  # noqa: ASYNC109 - the SDK calls it with this signature
    ) -> tuple[bytes, aiohttp.ClientResponse]:
        request_headers: dict[str, bytes | str] = {
            CONTENT_TYPE_HEADER: DEFAULT_JSON_CONTENT_TYPE,
            **(headers or {}),
            **trace_headers(),  # the actor's state and reminder calls join the trace of its turn
        }
        if settings.DAPR_API_TOKEN is not None:
            request_headers[DAPR_API_TOKEN_HEADER] = settings.DAPR_API_TOKEN
        request_headers[USER_AGENT_HEADER] = DAPR_USER_AGENT
        request = {
            "method": method,
            "url": url,
            "data": data,
            "headers": request_headers,
            "sslcontext": self.get_ssl_context(),  # type: ignore[no-untyped-call]  # the SDK leaves it unannotated
            "params": query_params,
            "timeout": aiohttp.ClientTimeout(total=timeout) if timeout else self._timeout,
        }
        response = await self.retry_policy.make_http_call(self._pool(), request)
        body = await response.read()  # the whole body: the connection goes back to the pool
        if 200 <= response.status < 300:
            return body, response
        raise await self.convert_to_error(response)

    async def aclose(self) -> None:
        if self._session is not None:
            await self._session.close()


class PooledDaprActorHttpClient(DaprActorHttpClient):
    """The SDK's actor client (same URLs and answers) on :class:`PooledDaprHttpClient`."""

    def __init__(self, message_serializer: Serializer, timeout: int = settings.DAPR_HTTP_TIMEOUT_SECONDS) -> None:
        super().__init__(message_serializer, timeout)
        self._client: PooledDaprHttpClient = PooledDaprHttpClient(message_serializer, timeout)

    async def aclose(self) -> None:
        await self._client.aclose()
