"""The sidecar's HTTP transport (``learnflow_common.dapr.transport``) against real sockets.

aiohttp's client, which the transport replaced, is the reference: both send the same requests to a
real HTTP server and must get the same answers, and the server must read the same requests (the
same path and query once decoded: one may escape a character the other sends as it is). The
failure tests use a raw asyncio server, to close connections the way a sidecar can.
"""

from __future__ import annotations

import asyncio
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass

import aiohttp
import pytest
from aiohttp import web
from hypothesis import given, settings
from hypothesis import strategies as st

from learnflow_common.dapr import transport
from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.dapr.transport import SidecarConnectionLost, SidecarConnections

#: Path segments; not ``.`` or ``..``, which aiohttp resolves and the transport sends as they are
#: (ids start with a letter or a digit, ``learnflow_common.validation``, so no path holds them).
SEGMENT = st.text(alphabet="abcXYZ019-_.~:@ !$'(),;=", min_size=1, max_size=12).filter(lambda s: s not in {".", ".."})


@dataclass(frozen=True)
class Exchange:
    method: str
    segments: list[str]
    params: dict[str, str]
    body: bytes | None
    header: str
    status: int
    answer_piece: bytes
    answer_size: int
    chunked: bool


EXCHANGES = st.builds(
    Exchange,
    method=st.sampled_from(["GET", "POST", "PUT", "DELETE"]),
    segments=st.lists(SEGMENT, min_size=1, max_size=4),
    params=st.dictionaries(st.text(alphabet="abc.", min_size=1, max_size=6), SEGMENT, max_size=3),
    body=st.none() | st.binary(max_size=3000),
    header=st.text(alphabet="abc 019-/=", max_size=20).map(str.strip),
    status=st.sampled_from([200, 204, 400, 404, 500, 503]),
    answer_piece=st.binary(min_size=1, max_size=40),
    answer_size=st.integers(0, 70_000),  # several reads of the socket, and several chunks
    chunked=st.booleans(),
)


async def _echo(request: web.Request) -> web.StreamResponse:
    """Answers what the exchange asks for, and says in headers what it received."""
    status = int(request.headers["x-status"])
    piece, size = bytes.fromhex(request.headers["x-answer"]), int(request.headers["x-size"])
    answer = (piece * (size // len(piece) + 1))[:size]
    seen = {
        "x-seen-method": request.method,
        # decoded: a character may be sent escaped or not, as long as it means the same
        "x-seen-target": json.dumps([request.path, sorted(request.query.items())]),
        "x-seen-header": request.headers.get("x-custom", "<none>"),
        "x-seen-body": (await request.read()).hex()[:64],
        "x-seen-length": request.headers.get("content-length", "<none>"),
    }
    if status == 204:
        return web.Response(status=204, headers=seen)
    response = web.StreamResponse(status=status, headers=seen)
    if request.headers.get("x-chunked") == "1":
        response.enable_chunked_encoding()
    else:
        response.content_length = len(answer)
    await response.prepare(request)
    for start in range(0, len(answer), 16_384):
        await response.write(answer[start : start + 16_384])
    await response.write_eof()
    return response


@asynccontextmanager
async def echo_server() -> AsyncIterator[str]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", _echo)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def _request_headers(exchange: Exchange) -> dict[str, str]:
    return {
        "x-status": str(exchange.status),
        "x-answer": exchange.answer_piece.hex(),
        "x-size": str(exchange.answer_size),
        "x-chunked": "1" if exchange.chunked else "0",
        "x-custom": exchange.header,
    }


def _seen(status: int, headers: Mapping[str, str], body: bytes) -> tuple[int, bytes, dict[str, str | None]]:
    names = ("x-seen-method", "x-seen-target", "x-seen-header", "x-seen-body", "x-seen-length")
    return status, body, {name: headers.get(name) for name in names}


async def _both(exchange: Exchange) -> tuple[object, object]:
    path = "/" + "/".join(exchange.segments)
    headers = _request_headers(exchange)
    async with echo_server() as url:
        async with (
            aiohttp.ClientSession() as session,
            session.request(
                exchange.method, url + path, params=exchange.params or None, data=exchange.body, headers=headers
            ) as answer,
        ):
            reference = _seen(answer.status, answer.headers, await answer.read())
        connections = SidecarConnections(url, {})
        try:
            ours = _seen(
                *await connections.request(
                    exchange.method, path, params=exchange.params, body=exchange.body, headers=headers, timeout=5
                )
            )
        finally:
            await connections.aclose()
    return reference, ours


@settings(max_examples=60, deadline=None)
@given(EXCHANGES)
def test_the_transport_sends_and_reads_what_aiohttp_does(exchange: Exchange) -> None:
    reference, ours = asyncio.run(_both(exchange))
    assert ours == reference


# ---------------------------------------------------------------- failures, on a raw server

Handler = Callable[[asyncio.StreamReader, asyncio.StreamWriter], Awaitable[None]]
OK = b"HTTP/1.1 200 OK\r\nContent-Length: 2\r\n\r\nok"


@asynccontextmanager
async def raw_server(handler: Handler) -> AsyncIterator[str]:
    server = await asyncio.start_server(handler, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        server.close()


async def _read_request(reader: asyncio.StreamReader) -> bytes:
    head = await reader.readuntil(b"\r\n\r\n")
    length = next(
        (int(line.split(b":")[1]) for line in head.split(b"\r\n") if line.lower().startswith(b"content-length")), 0
    )
    return head + await reader.readexactly(length)


def _answers_then_closes(answer: bytes, requests: list[bytes]) -> Handler:
    """Answers one request per connection as kept alive, then closes it without a word."""

    async def handler(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await _read_request(reader))
        writer.write(answer)
        await writer.drain()
        await asyncio.sleep(0.05)
        writer.close()

    return handler


async def test_a_kept_alive_connection_the_sidecar_closed_is_replaced_for_an_idempotent_request() -> None:
    requests: list[bytes] = []
    async with raw_server(_answers_then_closes(OK, requests)) as url:
        connections = SidecarConnections(url, {})
        assert (await connections.request("GET", "/a", timeout=2))[2] == b"ok"
        await asyncio.sleep(0.2)  # closed meanwhile: the pool learnt it, so a new connection is opened
        assert (await connections.request("GET", "/b", timeout=2))[2] == b"ok"
        assert len(requests) == 2


async def test_a_post_on_a_connection_closed_under_it_fails_as_lost_and_is_not_sent_twice() -> None:
    requests: list[bytes] = []

    async def closes_after_reading_the_second(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await _read_request(reader))
        writer.write(OK)
        await writer.drain()
        requests.append(await _read_request(reader))
        writer.close()

    async with raw_server(closes_after_reading_the_second) as url:
        connections = SidecarConnections(url, {})
        await connections.request("POST", "/first", body=b"{}", timeout=2)
        with pytest.raises(SidecarConnectionLost):
            await connections.request("POST", "/second", body=b"{}", timeout=2)
        assert len(requests) == 2


async def test_a_get_on_a_connection_closed_under_it_is_sent_once_more_on_a_new_connection() -> None:
    requests: list[bytes] = []
    first = True

    async def first_connection_dies_on_its_second_request(
        reader: asyncio.StreamReader, writer: asyncio.StreamWriter
    ) -> None:
        nonlocal first
        mine, first = first, False
        requests.append(await _read_request(reader))
        writer.write(OK)
        await writer.drain()
        if mine:
            requests.append(await _read_request(reader))
            writer.close()
            return
        await asyncio.sleep(0.5)

    async with raw_server(first_connection_dies_on_its_second_request) as url:
        connections = SidecarConnections(url, {})
        await connections.request("GET", "/first", timeout=2)
        assert (await connections.request("GET", "/second", timeout=2))[2] == b"ok"
        assert [request.split(b" ")[1] for request in requests] == [b"/first", b"/second", b"/second"]


async def test_an_answer_that_never_comes_times_out_and_its_connection_is_not_kept() -> None:
    async def silent(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        await _read_request(reader)
        await asyncio.sleep(5)

    async with raw_server(silent) as url:
        connections = SidecarConnections(url, {})
        with pytest.raises(TimeoutError):
            await connections.request("GET", "/slow", timeout=0.2)
        assert connections._idle == []


async def test_an_answer_that_closes_the_connection_leaves_it_out_of_the_pool() -> None:
    closing = b"HTTP/1.1 200 OK\r\nConnection: close\r\nContent-Length: 2\r\n\r\nok"
    async with raw_server(_answers_then_closes(closing, [])) as url:
        connections = SidecarConnections(url, {})
        assert (await connections.request("GET", "/a", timeout=2))[2] == b"ok"
        assert connections._idle == []


async def test_an_answer_that_is_not_http_fails_as_a_lost_connection() -> None:
    async with raw_server(_answers_then_closes(b"SSH-2.0-OpenSSH\r\n\r\n", [])) as url:
        connections = SidecarConnections(url, {})
        with pytest.raises(SidecarConnectionLost):
            await connections.request("POST", "/a", body=b"", timeout=2)


async def test_exchanges_at_once_each_get_their_own_answer() -> None:
    async def echo_path(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                request = await _read_request(reader)
            except asyncio.IncompleteReadError:
                return
            path = request.split(b" ")[1]
            await asyncio.sleep(0.01 * (len(path) % 3))
            writer.write(b"HTTP/1.1 200 OK\r\nContent-Length: %d\r\n\r\n%s" % (len(path), path))
            await writer.drain()

    async with raw_server(echo_path) as url:
        connections = SidecarConnections(url, {})
        paths = [f"/call-{n}" for n in range(40)]
        answers = await asyncio.gather(*(connections.request("GET", path, timeout=2) for path in paths))
        assert [answer[2].decode() for answer in answers] == paths
        assert 1 < len(connections._idle) <= 40
        await connections.aclose()


async def test_escapes_already_in_a_path_are_kept_and_a_lone_percent_is_escaped() -> None:
    requests: list[bytes] = []
    async with raw_server(_answers_then_closes(OK, requests)) as url:
        await SidecarConnections(url, {}).request("GET", "/actors/T/a%40b c%/method/%zz", timeout=2)
    assert requests[0].startswith(b"GET /actors/T/a%40b%20c%25/method/%25zz HTTP/1.1\r\n")


async def test_no_more_idle_connections_are_kept_than_the_cap(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(transport, "MAX_IDLE_CONNECTIONS", 3)
    opened: list[bytes] = []

    async def answers_all(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        while True:
            try:
                opened.append(await _read_request(reader))
            except asyncio.IncompleteReadError:
                return
            await asyncio.sleep(0.02)
            writer.write(OK)
            await writer.drain()

    async with raw_server(answers_all) as url:
        connections = SidecarConnections(url, {})
        await asyncio.gather(*(connections.request("GET", "/a", timeout=2) for _ in range(10)))
        assert len(connections._idle) == 3
        await connections.aclose()


async def test_a_header_value_with_a_line_break_is_refused_before_anything_is_sent() -> None:
    connections = SidecarConnections("http://127.0.0.1:9", {})
    with pytest.raises(ValueError, match="line break"):
        await connections.request("GET", "/a", headers={"x-bad": "a\r\nHost: elsewhere"}, timeout=1)


async def test_a_sidecar_that_is_not_listening_is_an_outage() -> None:
    server = await asyncio.start_server(lambda r, w: None, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    server.close()
    await server.wait_closed()
    sidecar = DaprSidecar(f"http://127.0.0.1:{port}", "token", timeout_seconds=1)
    with pytest.raises(SidecarUnavailable) as raised:
        await sidecar.get_state("statestore", "key")
    assert raised.value.dependency == "dapr-sidecar"


async def test_the_sidecar_client_sends_json_with_its_token_and_reads_json_back() -> None:
    requests: list[bytes] = []

    async def answers_json(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        requests.append(await _read_request(reader))
        body = json.dumps([{"key": "a", "data": {"n": 1}}]).encode()
        writer.write(b"HTTP/1.1 200 OK\r\nContent-Type: application/json\r\nContent-Length: %d\r\n\r\n" % len(body))
        writer.write(body)
        await writer.drain()

    async with raw_server(answers_json) as url:
        sidecar = DaprSidecar(url, "secret-token", timeout_seconds=1)
        assert await sidecar.get_bulk_state("store", ["a", "b"]) == {"a": {"n": 1}, "b": None}
        await sidecar.aclose()
    head, body = requests[0].split(b"\r\n\r\n")
    assert head.startswith(b"POST /v1.0/state/store/bulk HTTP/1.1\r\n")
    assert b"dapr-api-token: secret-token" in head
    assert b"Content-Type: application/json" in head
    assert json.loads(body) == {"keys": ["a", "b"]}
