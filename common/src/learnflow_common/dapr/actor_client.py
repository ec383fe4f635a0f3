"""The actors' own calls to the sidecar through the SDK (state, reminders) over kept-alive connections.

The SDK's ``DaprHttpClient`` opens an ``aiohttp.ClientSession``, and so a new TCP connection, for
every call: with three state calls per update that was 8% of the app's CPU in connection set-up
alone (benchmarks/results/PROFILE.md). This client sends the same requests, with the same headers
and errors, over the sidecar transport the app's own calls use (``learnflow_common.dapr.transport``),
with the trace context of the actor's turn (learnflow_common.tracing). The SDK's retry policy is
not applied: its default (``DAPR_API_MAX_RETRIES`` 0) retries nothing, and a call the sidecar could
not answer is an outage the caller answers 503 (``SidecarUnavailable``).
"""

from __future__ import annotations

from collections.abc import Mapping
from urllib.parse import urlsplit

from dapr.clients._constants import DEFAULT_JSON_CONTENT_TYPE
from dapr.clients.exceptions import DaprHttpError
from dapr.clients.http.client import DaprHttpClient
from dapr.clients.http.conf import CONTENT_TYPE_HEADER, DAPR_API_TOKEN_HEADER, DAPR_USER_AGENT, USER_AGENT_HEADER
from dapr.clients.http.dapr_actor_http_client import DaprActorHttpClient
from dapr.conf import settings
from dapr.serializers import Serializer

from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.transport import SidecarConnections
from learnflow_common.tracing import trace_headers


class PooledDaprHttpClient(DaprHttpClient):
    def __init__(self, message_serializer: Serializer, timeout: int) -> None:
        super().__init__(message_serializer, timeout)
        self._timeout_seconds = float(timeout)
        #: by the sidecar's origin (scheme://host:port): the SDK names it in every URL
        self._connections: dict[str, SidecarConnections] = {}

    async def send_bytes(  # type: ignore[override]  # answers the body alone: the SDK reads nothing else
        self,
        method: str,
        url: str,
        data: bytes | None,
        headers: Mapping[str, bytes | str] | None = None,
        query_params: Mapping[str, str] | None = None,
        timeout: int | None = None,  # noqa: ASYNC109 - the SDK calls it with this signature
    ) -> tuple[bytes, None]:
        request_headers = {
            CONTENT_TYPE_HEADER: DEFAULT_JSON_CONTENT_TYPE,
            **{name: value.decode() if isinstance(value, bytes) else value for name, value in (headers or {}).items()},
            **trace_headers(),  # the actor's state and reminder calls join the trace of its turn
            USER_AGENT_HEADER: DAPR_USER_AGENT,
        }
        if settings.DAPR_API_TOKEN is not None:
            request_headers[DAPR_API_TOKEN_HEADER] = settings.DAPR_API_TOKEN
        address = urlsplit(url)
        try:
            status, _, body = await self._pool(f"{address.scheme}://{address.netloc}").request(
                method,
                address.path,
                params=query_params,
                body=data,
                headers=request_headers,
                timeout=timeout or self._timeout_seconds,
            )
        except (OSError, TimeoutError) as error:
            raise SidecarUnavailable(f"Dapr sidecar unreachable ({type(error).__name__})", "dapr-sidecar") from error
        if 200 <= status < 300:
            return body, None
        raise DaprHttpError(self._serializer, raw_response_bytes=body, status_code=status)

    def _pool(self, origin: str) -> SidecarConnections:
        if (connections := self._connections.get(origin)) is None:
            connections = self._connections[origin] = SidecarConnections(origin, {})
        return connections

    async def aclose(self) -> None:
        for connections in self._connections.values():
            await connections.aclose()


class PooledDaprActorHttpClient(DaprActorHttpClient):
    """The SDK's actor client (same URLs and answers) on :class:`PooledDaprHttpClient`."""

    def __init__(self, message_serializer: Serializer, timeout: int = settings.DAPR_HTTP_TIMEOUT_SECONDS) -> None:
        super().__init__(message_serializer, timeout)
        self._client: PooledDaprHttpClient = PooledDaprHttpClient(message_serializer, timeout)

    async def aclose(self) -> None:
        await self._client.aclose()
