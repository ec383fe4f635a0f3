"""HTTP/1.1 to the app's own sidecar over kept-alive connections, and nothing else.

Every exchange of an app with its sidecar (``DaprSidecar._request``) goes through here: six or more
per update. aiohttp's client spent 0.33-0.37 ms of CPU on one state GET, a third of the User
Progress app's CPU under load; this spends ~0.1 ms (benchmarks/results/PROFILE.md, Phase 10).
It does only what a sidecar on loopback needs: plain HTTP/1.1 (no TLS, proxies, redirects,
cookies or compression), answers with a Content-Length or chunked (parsed by ``httptools``, the
parser uvicorn serves with), a pool of idle connections, one deadline per exchange.
``common/tests/unit/test_sidecar_transport.py`` holds its answers equal to aiohttp's.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Mapping
from typing import cast
from urllib.parse import quote, urlencode, urlsplit

import httptools
from multidict import CIMultiDict, CIMultiDictProxy

#: What may stand in a path as it is (RFC 3986 ``pchar`` and ``/``); anything else is percent-encoded,
#: but for escapes already made (``%XX``, as ``invoke_actor`` quotes an actor id).
PATH_SAFE = "/:@!$&'()*+,;=~"
ESCAPE = re.compile(r"(%[0-9A-Fa-f]{2})")
#: Sent again once on a new connection when a kept-alive one turns out closed (as aiohttp does).
IDEMPOTENT_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "PUT", "DELETE"})
#: Idle connections kept for later exchanges at most; one more is closed (a burst of calls does not
#: leave all its connections open on both sides).
MAX_IDLE_CONNECTIONS = 128
#: Sent without a Content-Length when they carry no body; every other method says ``0``.
NO_BODY_METHODS = frozenset({"GET", "HEAD", "OPTIONS", "TRACE"})


class SidecarConnectionLost(ConnectionError):
    """The sidecar closed the connection, or sent what is not HTTP, before its answer was whole."""


class _Connection(asyncio.Protocol):
    """One connection: one exchange at a time, answers parsed as they arrive."""

    def __init__(self) -> None:
        self._parser = httptools.HttpResponseParser(self)
        self._transport: asyncio.Transport | None = None
        self._answer: asyncio.Future[tuple[int, CIMultiDictProxy[str], bytes]] | None = None
        self._headers: CIMultiDict[str] = CIMultiDict()
        self._body: list[bytes] = []
        #: open, and its last answer allowed another exchange
        self.reusable = False

    # asyncio.Protocol
    def connection_made(self, transport: asyncio.BaseTransport) -> None:
        self._transport = cast(asyncio.Transport, transport)  # uvloop's are not asyncio.Transport subclasses
        self.reusable = True

    def data_received(self, data: bytes) -> None:
        try:
            self._parser.feed_data(data)
        except httptools.HttpParserError as error:
            self._fail(SidecarConnectionLost(f"the sidecar's answer is not HTTP/1.1: {error}"))
            self.close()

    def connection_lost(self, exc: Exception | None) -> None:
        self.reusable = False
        self._fail(SidecarConnectionLost("the sidecar closed the connection"))

    # httptools callbacks
    def on_header(self, name: bytes, value: bytes) -> None:
        self._headers.add(name.decode("latin-1"), value.decode("latin-1"))

    def on_body(self, body: bytes) -> None:
        self._body.append(body)

    def on_message_complete(self) -> None:
        answer = (self._parser.get_status_code(), CIMultiDictProxy(self._headers), b"".join(self._body))
        self._headers, self._body = CIMultiDict(), []
        self.reusable = self.reusable and self._parser.should_keep_alive()
        waiting, self._answer = self._answer, None
        if waiting is None or waiting.done():  # an answer nobody asked for: do not trust what follows
            self.close()
            return
        waiting.set_result(answer)

    # ours
    async def exchange(self, request: bytes) -> tuple[int, CIMultiDictProxy[str], bytes]:
        assert self._transport is not None
        assert self._answer is None
        self._answer = asyncio.get_running_loop().create_future()
        self._transport.write(request)
        return await self._answer

    def close(self) -> None:
        self.reusable = False
        if self._transport is not None:
            self._transport.close()

    def _fail(self, error: Exception) -> None:
        waiting, self._answer = self._answer, None
        if waiting is not None and not waiting.done():
            waiting.set_exception(error)


class SidecarConnections:
    """Kept-alive connections to one sidecar; as many as exchanges run at once (calls queued on a
    busy actor each hold one, and other calls must not wait behind them)."""

    def __init__(self, base_url: str, headers: Mapping[str, str]) -> None:
        address = urlsplit(base_url)
        if address.scheme != "http" or address.hostname is None:
            raise ValueError(f"the sidecar's URL must be http://host:port, not {base_url!r}")
        self._host = address.hostname
        self._port = address.port or 80
        self._path_prefix = address.path.rstrip("/")
        self._fixed_headers = _header_lines({"Host": address.netloc, **headers})
        self._idle: list[_Connection] = []
        self._loop: asyncio.AbstractEventLoop | None = None

    async def request(
        self,
        method: str,
        path: str,
        *,
        params: Mapping[str, str] | None = None,
        body: bytes | None = None,
        headers: Mapping[str, str] | None = None,
        timeout: float,  # noqa: ASYNC109 - a deadline per exchange, as the sidecar's APIs need
    ) -> tuple[int, CIMultiDictProxy[str], bytes]:
        """The status, headers and whole body of the sidecar's answer. Raises ``OSError``
        (``SidecarConnectionLost`` among them) or ``TimeoutError``; the connection is then closed.

        A kept-alive connection the sidecar closed while it was idle fails its next exchange before
        any answer: an idempotent request is then sent again, once, on a new connection."""
        if body is None and method not in NO_BODY_METHODS:
            body = b""  # Content-Length: 0, as general clients send
        target = _quote_path(self._path_prefix + path)
        if params:
            target += "?" + urlencode(params)
        request = b"".join(
            (
                f"{method} {target} HTTP/1.1\r\n".encode(),
                self._fixed_headers,
                _header_lines(headers) if headers else b"",
                b"" if body is None else b"Content-Length: %d\r\n" % len(body),
                b"\r\n",
                body or b"",
            )
        )
        retry = method in IDEMPOTENT_METHODS
        async with asyncio.timeout(timeout):
            while True:
                connection, reused = await self._connection()
                try:
                    answer = await connection.exchange(request)
                except SidecarConnectionLost:
                    connection.close()
                    if reused and retry:
                        retry = False
                        continue
                    raise
                except BaseException:
                    connection.close()
                    raise
                break
        if connection.reusable and len(self._idle) < MAX_IDLE_CONNECTIONS:
            self._idle.append(connection)
        else:
            connection.close()
        return answer

    async def _connection(self) -> tuple[_Connection, bool]:
        """The most recently used idle connection (the least likely to have been closed), else a new
        one; and whether it was kept alive from an earlier exchange."""
        loop = asyncio.get_running_loop()
        if loop is not self._loop:  # a connection belongs to the loop that opened it
            self._idle, self._loop = [], loop
        while self._idle:
            connection = self._idle.pop()
            if connection.reusable:
                return connection, True
        _, connection = await loop.create_connection(_Connection, self._host, self._port)
        return connection, False

    async def aclose(self) -> None:
        idle, self._idle = self._idle, []
        for connection in idle:
            connection.close()


def _quote_path(path: str) -> str:
    if "%" not in path:
        return quote(path, safe=PATH_SAFE)
    return "".join(piece if ESCAPE.fullmatch(piece) else quote(piece, safe=PATH_SAFE) for piece in ESCAPE.split(path))


def _header_lines(headers: Mapping[str, str]) -> bytes:
    """Header lines; a value holding a line break would end the request early, so none may."""
    lines = []
    for name, value in headers.items():
        if "\r" in value or "\n" in value or "\r" in name or "\n" in name:
            raise ValueError(f"header {name!r} holds a line break")
        lines.append(f"{name}: {value}\r\n")
    return "".join(lines).encode("latin-1")
