"""An async client for the sidecar's HTTP API: state, pub/sub, invocation, metadata.

Plain HTTP rather than the SDK's clients: it never blocks the event loop, and every failure maps to
an exception the apps know how to answer: an outage (503 + Retry-After) or a refusal that would
happen again (413 / 500), decided in one place, ``errors.classify_sidecar_error``.

Over ``transport.SidecarConnections`` (kept-alive HTTP/1.1): an update makes six or more of these
calls, and general-purpose clients spent several times its CPU per call (httpx twice aiohttp's,
aiohttp twice this; benchmarks/results/PROFILE.md).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any
from urllib.parse import quote

from learnflow_common.dapr import json_body
from learnflow_common.dapr.errors import SidecarUnavailable, StateConflict, classify_sidecar_error
from learnflow_common.dapr.transport import SidecarConnections
from learnflow_common.events import CloudEvent
from learnflow_common.tracing import trace_headers


@dataclass(frozen=True)
class StateEntry:
    """A key's value as the store returned it. ``value`` is parsed on first use: a reader that
    needs only the ETag (GET /status sending a kept answer again) never parses it."""

    key: str
    #: The value's JSON.
    raw: bytes
    #: The store's version of the value, new with every write of the key (None from a store
    #: without ETags).
    etag: str | None = None

    @cached_property
    def value(self) -> Any:
        return json_body.decode(self.raw)


@dataclass(frozen=True)
class Versioned:
    """A key's value as read, with the ETag a guarded save of it must match."""

    value: Any
    etag: str


@dataclass(frozen=True)
class SidecarResponse:
    """A sidecar's answer, read whole (so its connection is back in the pool)."""

    status_code: int
    content: bytes
    headers: Mapping[str, str]

    def json(self) -> Any:
        return json_body.decode(self.content)

    @property
    def text(self) -> str:
        return self.content.decode(errors="replace")


class DaprSidecar:
    def __init__(
        self, base_url: str, api_token: str, timeout_seconds: float = 5.0, actor_timeout_seconds: float = 30.0
    ) -> None:
        self._connections = SidecarConnections(base_url, {"dapr-api-token": api_token})
        self._timeout_seconds = timeout_seconds
        self._actor_timeout = actor_timeout_seconds

    async def aclose(self) -> None:
        await self._connections.aclose()

    async def _request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        json: Any = None,
        content: bytes | str | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float | None = None,  # noqa: ASYNC109 - one per call, as the sidecar's APIs need
    ) -> SidecarResponse:
        """The sidecar's answer; a transport failure, 401 or 5xx raises what
        :func:`classify_sidecar_error` makes of it (4xx are left to the caller)."""
        if context := trace_headers():  # Dapr's spans of this call join the current trace
            headers = {**(headers or {}), **context}
        body = content.encode() if isinstance(content, str) else content
        if json is not None:
            body = json_body.encode(json)
            headers = {"Content-Type": "application/json", **(headers or {})}
        try:
            status, answer_headers, answer = await self._connections.request(
                method, path, params=params, body=body, headers=headers, timeout=timeout or self._timeout_seconds
            )
        except (OSError, TimeoutError) as error:
            raise SidecarUnavailable(f"Dapr sidecar unreachable ({type(error).__name__})", "dapr-sidecar") from error
        response = SidecarResponse(status, answer, answer_headers)
        if response.status_code == 401 or response.status_code >= 500:
            raise classify_sidecar_error(response.status_code, *self._error_of(response))
        return response

    @staticmethod
    def _error_of(response: SidecarResponse) -> tuple[str, str]:
        """daprd's ``errorCode`` and the whole ``message`` (the classification reads all of it)."""
        try:
            body = response.json()
        except ValueError:
            return "ERR_UNKNOWN", response.text[:2000]
        if not isinstance(body, dict):
            return "ERR_UNKNOWN", response.text[:2000]
        return str(body.get("errorCode", "ERR_UNKNOWN")), str(body.get("message", ""))

    def _raise_for_client_error(self, response: SidecarResponse) -> None:
        if response.status_code >= 400:
            raise classify_sidecar_error(response.status_code, *self._error_of(response))

    # ------------------------------------------------------------------ state
    async def get_state(self, store: str, key: str) -> StateEntry | None:
        response = await self._request("GET", f"/v1.0/state/{store}/{key}", params={"consistency": "strong"})
        if response.status_code == 204 or not response.content:
            return None
        self._raise_for_client_error(response)
        return StateEntry(key=key, raw=response.content, etag=response.headers.get("ETag"))

    async def get_bulk_state(self, store: str, keys: Sequence[str]) -> dict[str, Any]:
        """Several keys in one round trip: each key's value, or ``None`` for a key that has none. A
        key the store could not read fails the whole read, as an outage."""
        found: dict[str, Any] = dict.fromkeys(keys)
        for item in await self._bulk_read(store, keys):
            found[item["key"]] = item["data"]
        return found

    async def get_bulk_versioned(self, store: str, keys: Sequence[str]) -> dict[str, Versioned | None]:
        """Several keys in one round trip, each with its ETag (``None`` for a key that has no value),
        for :meth:`save_if_unchanged`. A key the store could not read fails the whole read."""
        found: dict[str, Versioned | None] = dict.fromkeys(keys)
        for item in await self._bulk_read(store, keys):
            found[item["key"]] = Versioned(item["data"], str(item["etag"]))
        return found

    async def _bulk_read(self, store: str, keys: Sequence[str]) -> list[dict[str, Any]]:
        """The sidecar's bulk read: the items of the keys that have a value (``key``, ``data``,
        ``etag``); a key the store could not read raises an outage."""
        response = await self._request("POST", f"/v1.0/state/{store}/bulk", json={"keys": list(keys)})
        self._raise_for_client_error(response)
        items: list[dict[str, Any]] = response.json()
        for item in items:
            if item.get("error"):
                problem = f"state store could not read {item.get('key')!r}: {item['error']}"
                raise SidecarUnavailable(problem, "state-store")
        return [item for item in items if "data" in item]

    async def save_if_unchanged(self, store: str, writes: Mapping[str, Versioned]) -> None:
        """Saves each key's new value only if the key still has the ETag it was read with; raises
        :class:`StateConflict` if any had changed or gone (the others may be saved: each key is
        guarded alone, not all or none). daprd answers a mismatch 409 at once, without the
        resiliency policy's retries: that is why a value that has none yet is not created here (a
        first write on an existing key fails as a store error, retried and counted by the circuit
        breaker), but by its one writer (``save_state``)."""
        items = [
            {"key": key, "value": write.value, "etag": write.etag, "options": {"concurrency": "first-write"}}
            for key, write in writes.items()
        ]
        response = await self._request("POST", f"/v1.0/state/{store}", json=items)
        if response.status_code == 409:
            raise StateConflict(f"changed since read: {sorted(writes)[:5]}")
        self._raise_for_client_error(response)

    async def save_state(self, store: str, key: str, value: Any) -> None:
        """Saves one key; the last write wins."""
        item = {"key": key, "value": value, "options": {"consistency": "strong"}}
        response = await self._request("POST", f"/v1.0/state/{store}", json=[item])
        self._raise_for_client_error(response)

    async def transact_state(self, store: str, changes: Mapping[str, Any]) -> None:
        """Writes several keys in one state transaction, all or none: each key's new value, ``None``
        removing it (the last write wins)."""
        operations = [
            {"operation": "delete", "request": {"key": key}}
            if value is None
            else {"operation": "upsert", "request": {"key": key, "value": value}}
            for key, value in changes.items()
        ]
        response = await self._request("POST", f"/v1.0/state/{store}/transaction", json={"operations": operations})
        self._raise_for_client_error(response)

    async def delete_state(self, store: str, key: str) -> None:
        """Removes one key (nothing happens if it is not there)."""
        response = await self._request("DELETE", f"/v1.0/state/{store}/{key}")
        self._raise_for_client_error(response)

    async def query_state(self, store: str, query: dict[str, Any]) -> dict[str, Any]:
        """The state query API (filter, sort, page token) over this app's plain state documents."""
        response = await self._request("POST", f"/v1.0-alpha1/state/{store}/query", json=query)
        self._raise_for_client_error(response)
        return dict(response.json()) if response.content else {"results": []}

    # ------------------------------------------------------------------ pub/sub
    async def publish(self, pubsub: str, topic: str, event: CloudEvent, partition_key: str) -> None:
        """Publishes our own CloudEvent (stable id for consumer dedupe), keyed for per-learner order."""
        await self._publish(
            pubsub,
            topic,
            event.model_dump_json(exclude_none=True).encode(),
            "application/cloudevents+json",
            {"metadata.partitionKey": partition_key},
        )

    async def publish_raw(self, pubsub: str, topic: str, data: bytes, partition_key: str | None) -> None:
        """Publishes a message's bytes as they are, no CloudEvent made of them (``rawPayload``), with
        its Kafka key when it had one: a delivered message moved to its dead-letter topic."""
        params = {"metadata.rawPayload": "true"}
        if partition_key is not None:
            params["metadata.partitionKey"] = partition_key
        await self._publish(pubsub, topic, data, "application/json", params)

    async def _publish(
        self, pubsub: str, topic: str, data: bytes, content_type: str, params: Mapping[str, str]
    ) -> None:
        response = await self._request(
            "POST",
            f"/v1.0/publish/{pubsub}/{topic}",
            params=params,
            content=data,
            headers={"content-type": content_type},
        )
        self._raise_for_client_error(response)  # 404 ERR_PUBSUB_NOT_FOUND: not loaded yet, an outage

    # ------------------------------------------------------------------ actors
    async def invoke_actor(self, actor_type: str, actor_id: str, method: str, data: Any = None) -> Any:
        """Calls an actor method; Dapr routes it to the one host of that actor, one call at a time."""
        response = await self._request(
            "PUT",
            f"/v1.0/actors/{actor_type}/{quote(actor_id, safe='@:')}/method/{method}",
            json=data,
            timeout=self._actor_timeout,  # calls to one actor queue behind each other
        )
        self._raise_for_client_error(response)
        return response.json() if response.content else None

    # ------------------------------------------------------------------ conversation (LLM)
    async def converse(
        self,
        component: str,
        system: str,
        user: Sequence[str],
        timeout_seconds: float,
        response_format: Mapping[str, Any] | None = None,
    ) -> str:
        """One exchange with the language model behind a Dapr conversation component; its reply text.

        ``user`` are the user's messages in order; ``response_format`` a JSON Schema the reply should
        follow (structured output, alpha2's ``responseFormat``: used by the components that support it,
        ignored by the others, so the caller validates the reply all the same)."""
        messages = [{"ofSystem": {"content": [{"text": system}]}}]
        messages += [{"ofUser": {"content": [{"text": text}]}} for text in user]
        body: dict[str, Any] = {"inputs": [{"messages": messages}], "temperature": 0.2}
        if response_format is not None:
            body["responseFormat"] = dict(response_format)
        response = await self._request(
            "POST", f"/v1.0-alpha2/conversation/{component}/converse", json=body, timeout=timeout_seconds
        )
        self._raise_for_client_error(response)
        outputs = response.json().get("outputs") or [{}]
        choices = outputs[0].get("choices") or [{}]
        return str(choices[0].get("message", {}).get("content", ""))

    # ------------------------------------------------------------------ invocation, metadata
    async def invoke(
        self,
        app_id: str,
        method: str,
        http_method: str = "GET",
        timeout_seconds: float | None = None,
        **kwargs: Any,
    ) -> SidecarResponse:
        path = f"/v1.0/invoke/{app_id}/method/{method.lstrip('/')}"
        return await self._request(http_method, path, **kwargs, timeout=timeout_seconds)

    async def metadata(self) -> dict[str, Any]:
        response = await self._request("GET", "/v1.0/metadata")
        self._raise_for_client_error(response)
        return dict(response.json())

    async def healthy(self) -> bool:
        try:
            response = await self._request("GET", "/v1.0/healthz", timeout=2.0)
        except Exception:
            return False
        return response.status_code < 300
