"""Who is calling: a learner with a bearer JWT, an operator with the admin scope, or another
LearnFlow service through its Dapr sidecar.

Tokens are checked with PyJWT against the configured issuer, audience and JSON Web Key Set (a file
for development and the cluster, or an identity provider's URL). Only asymmetric algorithms are
accepted: a JWKS publishes public keys, and a shared secret would let every verifier mint tokens.
The learner a token speaks for is its ``sub``; ``scope`` (space-separated, RFC 8693) may add
``admin`` (any learner, the global lesson feed) or ``service``.

A call that arrives through the app's own sidecar carries the app API token only the sidecar knows
(``dapr-api-token``): that is Dapr service invocation, already checked by Dapr's access-control
policy, so it is a service principal named by ``dapr-caller-app-id``.
"""

from __future__ import annotations

import asyncio
import hmac
import json
import logging
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Annotated, Any

import httpx
import jwt
from fastapi import Depends, Query, Request
from fastapi.openapi.models import HTTPBearer as HTTPBearerModel
from fastapi.security.base import SecurityBase
from fastapi.security.utils import get_authorization_scheme_param

from learnflow_common.problems import Problem
from learnflow_common.validation import LearnerId, is_safe_id

ADMIN_SCOPE = "admin"
SERVICE_SCOPE = "service"
#: Asymmetric only (see the module docstring).
ALGORITHMS = frozenset({"RS256", "RS384", "RS512", "PS256", "ES256", "ES384", "EdDSA"})
#: An unknown ``kid`` reloads the key set (a rotation), at most this often.
RELOAD_INTERVAL_SECONDS = 30.0
#: A token that passed its checks is taken again without checking its signature for at most this
#: long (and never past its expiry, nor once its key has left the key set): the signature check is
#: most of what authentication costs a request (PROFILE.md, Phase 7). Only tokens that passed are
#: remembered, the most recently used REMEMBERED_TOKENS of them (~1 KB each).
REMEMBER_TOKEN_SECONDS = 60.0
REMEMBERED_TOKENS = 4096
log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Principal:
    """The caller of one request."""

    subject: str
    scopes: frozenset[str] = frozenset()

    @property
    def is_privileged(self) -> bool:
        """Admins and services act for any learner (and are not rate limited)."""
        return bool(self.scopes & {ADMIN_SCOPE, SERVICE_SCOPE})

    def require_learner(self, learner_id: str) -> None:
        """A learner may read and write only themself."""
        if self.subject != learner_id and not self.is_privileged:
            raise Problem(
                403,
                "forbidden",
                "Forbidden",
                "This token may only read and write its own learner (its sub); another learner needs the admin scope.",
            )

    def require_scope(self, scope: str, what: str) -> None:
        if scope not in self.scopes:
            raise Problem(403, "forbidden", "Forbidden", f"{what} needs a token with the {scope!r} scope.")


def unauthorized(detail: str, error: str = "invalid_token") -> Problem:
    """401 with the RFC 6750 challenge; no ``error`` when no token was sent at all."""
    challenge = 'Bearer realm="learnflow"' if not error else f'Bearer realm="learnflow", error="{error}"'
    return Problem(401, "unauthorized", "Unauthorized", detail, headers={"WWW-Authenticate": challenge})


class KeySet:
    """The verification keys by ``kid``, from a JWKS file or URL, reloaded when a token names a
    key it does not hold (the issuer rotated its keys)."""

    def __init__(self, file: Path | None = None, url: str | None = None, timeout: float = 5.0) -> None:
        if (file is None) == (url is None):
            raise ValueError("exactly one of a JWKS file and a JWKS URL")
        self.file, self.url, self.timeout = file, url, timeout
        self._keys: dict[str | None, jwt.PyJWK] = {}
        self._loaded_at = float("-inf")
        self._lock = asyncio.Lock()
        if file is not None:
            self._keys = parse_jwks(file.read_text())  # a missing or broken file stops the start
            self._loaded_at = time.monotonic()

    async def key_for(self, kid: str | None) -> jwt.PyJWK:
        key = self._keys.get(kid) or (self._only_key() if kid is None else None)
        if key is None and time.monotonic() - self._loaded_at >= RELOAD_INTERVAL_SECONDS:
            async with self._lock:
                if time.monotonic() - self._loaded_at >= RELOAD_INTERVAL_SECONDS:
                    await self._reload()
            key = self._keys.get(kid) or (self._only_key() if kid is None else None)
        if key is None:
            raise unauthorized("The token is signed by a key this service does not know.")
        return key

    def holds(self, key: jwt.PyJWK) -> bool:
        """Whether ``key`` is still one of the set's (a reload makes new key objects)."""
        return any(known is key for known in self._keys.values())

    def _only_key(self) -> jwt.PyJWK | None:
        return next(iter(self._keys.values())) if len(self._keys) == 1 else None

    async def _reload(self) -> None:
        self._loaded_at = time.monotonic()
        try:
            if self.file is not None:
                text = await asyncio.to_thread(self.file.read_text)
            else:
                async with httpx.AsyncClient(timeout=self.timeout) as client:
                    response = await client.get(str(self.url))
                    response.raise_for_status()
                    text = response.text
            self._keys = parse_jwks(text)
        except (OSError, httpx.HTTPError, ValueError) as error:
            log.error("could not reload the JWKS (%s); keeping %d known keys", error, len(self._keys))


def parse_jwks(text: str) -> dict[str | None, jwt.PyJWK]:
    """The usable signing keys of a JWKS document by ``kid``; a document with none is an error."""
    document = json.loads(text)
    keys: dict[str | None, jwt.PyJWK] = {}
    for entry in document.get("keys", []) if isinstance(document, dict) else []:
        if entry.get("use", "sig") != "sig":
            continue
        try:
            key = jwt.PyJWK(entry)
        except jwt.PyJWTError:
            continue
        if key.algorithm_name in ALGORITHMS:
            keys[entry.get("kid")] = key
    if not keys:
        raise ValueError("the JWKS has no usable signing key (RS*, PS256, ES256/384 or EdDSA)")
    return keys


@dataclass(frozen=True)
class _Remembered:
    principal: Principal
    key: jwt.PyJWK
    until: float  # wall-clock seconds


class TokenVerifier:
    """Checks a bearer token's signature, issuer, audience, expiry and subject; remembers the
    tokens that passed for a while (``REMEMBER_TOKEN_SECONDS``)."""

    def __init__(
        self,
        keys: KeySet,
        issuer: str,
        audience: str,
        leeway_seconds: int = 30,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.keys, self.issuer, self.audience, self.leeway = keys, issuer, audience, leeway_seconds
        self._clock = clock
        self._remembered: OrderedDict[str, _Remembered] = OrderedDict()

    async def principal(self, token: str) -> Principal:
        remembered = self._remembered.get(token)
        if remembered is not None and self._clock() < remembered.until and self.keys.holds(remembered.key):
            self._remembered.move_to_end(token)
            return remembered.principal
        self._remembered.pop(token, None)
        principal, key, expires = await self._verify(token)
        until = min(expires + self.leeway, self._clock() + REMEMBER_TOKEN_SECONDS)
        self._remembered[token] = _Remembered(principal, key, until)
        if len(self._remembered) > REMEMBERED_TOKENS:
            self._remembered.popitem(last=False)
        return principal

    async def _verify(self, token: str) -> tuple[Principal, jwt.PyJWK, float]:
        """The token's principal, the key that signed it and its expiry; 401 for any failed check."""
        try:
            kid = jwt.get_unverified_header(token).get("kid")
        except jwt.PyJWTError:
            raise unauthorized("The bearer token is not a JWT.") from None
        key = await self.keys.key_for(kid)
        try:
            claims = jwt.decode(
                token,
                key,
                algorithms=[key.algorithm_name],
                audience=self.audience,
                issuer=self.issuer,
                leeway=self.leeway,
                options={"require": ["exp", "iss", "aud", "sub"]},
            )
        except jwt.ExpiredSignatureError:
            raise unauthorized("The token has expired.") from None
        except jwt.PyJWTError as error:
            raise unauthorized(f"The token was refused: {error}.") from None
        subject = claims["sub"]
        if not isinstance(subject, str) or not is_safe_id(subject):
            raise unauthorized("The token's sub is not a valid learner id.")
        return Principal(subject, _scopes(claims)), key, float(claims["exp"])


def _scopes(claims: dict[str, Any]) -> frozenset[str]:
    """``scope`` as a space-separated string (RFC 8693), or ``scp`` as a list (some providers)."""
    scope = claims.get("scope", claims.get("scp", ""))
    values = scope.split() if isinstance(scope, str) else scope if isinstance(scope, list) else []
    return frozenset(value for value in values if isinstance(value, str))


class BearerAuthentication(SecurityBase):
    """FastAPI dependency: the request's principal, or 401 (problem+json, not FastAPI's own error).

    A security scheme itself, so OpenAPI documents it (HTTP bearer, JWT) on every route that needs
    a caller, and a route resolves one dependency for its caller where ``HTTPBearer`` and a function
    using it were two: FastAPI 0.165 spends ~7 us resolving each dependency of each request."""

    def __init__(self) -> None:
        self.model = HTTPBearerModel(bearerFormat="JWT", description="A LearnFlow access token (JWT).")
        self.scheme_name = "HTTPBearer"

    async def __call__(self, request: Request) -> Principal:
        app_token: bytes = request.app.state.app_token
        sidecar_token = request.headers.get("dapr-api-token", "").encode()
        if sidecar_token and hmac.compare_digest(sidecar_token, app_token):
            return Principal(f"app:{request.headers.get('dapr-caller-app-id', 'dapr')}", frozenset({SERVICE_SCOPE}))
        scheme, token = get_authorization_scheme_param(request.headers.get("Authorization"))
        if not token or scheme.lower() != "bearer":
            raise unauthorized("This route needs a bearer token (Authorization: Bearer <JWT>).", error="")
        verifier: TokenVerifier = request.app.state.token_verifier
        return await verifier.principal(token)


authenticate = BearerAuthentication()


Caller = Annotated[Principal, Depends(authenticate)]


async def authorized_learner(learner_id: Annotated[LearnerId, Query()], caller: Caller) -> str:
    """FastAPI dependency: the ``learner_id`` query parameter, once the caller may see that learner."""
    caller.require_learner(learner_id)
    return learner_id


AuthorizedLearner = Annotated[str, Depends(authorized_learner)]
