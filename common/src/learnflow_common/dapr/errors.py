"""Errors of the sidecar client, named for what the caller must do about them, and the one
function that decides which of them a failed sidecar call is (:func:`classify_sidecar_error`).

Only an outage may tell a client "try again" (503 + Retry-After): the same request can succeed
once the dependency is back. A request the sidecar or the store refuses as such (too large,
malformed, data the store cannot hold) fails the same way every time, so it is answered as what
it is (413, or 500 without Retry-After) and consumers dead-letter it instead of retrying forever.
"""

from __future__ import annotations

import re


class SidecarUnavailable(Exception):
    """The sidecar, or a component behind it (state store, broker), cannot serve now: retry later.

    Routers never catch it: the problem handler turns it into 503 with Retry-After.
    """

    def __init__(self, message: str, dependency: str) -> None:
        super().__init__(message)
        self.dependency = dependency

    def __repr__(self) -> str:
        """What an actor method that met the outage answers daprd (the SDK's actor route sends the
        ``repr`` of what the method raised): its caller reads the outage back from it
        (:func:`classify_sidecar_error`) and answers 503 too."""
        return f"SidecarUnavailable({self.dependency}): {self}"


class SidecarRefused(RuntimeError):
    """The sidecar or a component refused this request, and would refuse it again: not an outage.

    ``status`` is what the app answers: 413 for a request over a size limit, else 500 (the app
    sent something it should not have; the client cannot fix it by retrying). A RuntimeError, like
    every other refusal of the sidecar client: subscription handlers dead-letter such messages.
    """

    def __init__(self, message: str, dependency: str, status: int = 500) -> None:
        super().__init__(message)
        self.dependency = dependency
        self.status = status


class StateConflict(Exception):
    """A save guarded by ETags found a key changed (or removed) since it was read: read it again and
    decide again. Not an outage: nothing is wrong with the store."""


class ActorMethodFailed(Exception):
    """An actor method raised: a bug in the actor, not an outage (answered as 500)."""


#: daprd error codes that mean "not ready / not reachable yet" whatever their HTTP status (several
#: are 400 or 404): a component not loaded yet, no placement table yet, the app channel not up.
OUTAGE_CODES = frozenset(
    {
        "ERR_ACTOR_INSTANCE_MISSING",
        "ERR_ACTOR_NO_ADDRESS",
        "ERR_ACTOR_NO_APP_CHANNEL",
        "ERR_ACTOR_NO_PLACEMENT",
        "ERR_ACTOR_RUNTIME_CLOSED",
        "ERR_ACTOR_RUNTIME_NOT_FOUND",
        "ERR_DIRECT_INVOKE",
        "ERR_HEALTH_NOT_READY",
        "ERR_OUTBOUND_HEALTH_NOT_READY",
        "ERR_PUBSUB_NOT_FOUND",
        "ERR_STATE_STORE_NOT_CONFIGURED",
        "ERR_STATE_STORE_NOT_FOUND",
    }
)
#: Words of daprd's and its drivers' messages for a dependency that does not answer (resiliency
#: timeout, open circuit breaker, refused / reset / dropped connections, no broker).
OUTAGE_MARKERS = (
    "circuit breaker is open",
    "too many requests",
    "context deadline exceeded",
    "i/o timeout",
    "timeout",
    "connection refused",
    "connection reset",
    "broken pipe",
    "dial tcp",
    "no such host",
    "failed to connect",
    "unexpected eof",
    "run out of available brokers",
)
#: daprd's words for a body over its ``--max-body-size`` (4 MiB by default), e.g. state save
#: "stream too large" (400 ERR_MALFORMED_REQUEST), actor call "invalid request: failed to read
#: body: stream too large" (400 ERR_BAD_REQUEST).
TOO_LARGE_MARKERS = ("stream too large", "request body too large", "message too large", "larger than max")
#: PostgreSQL SQLSTATE classes that are about the server or the connection, not the data:
#: 08 connection exception, 40 transaction rollback (serialization, deadlock), 53 insufficient
#: resources, 55 object not in prerequisite state (locks), 57 operator intervention (shutdown,
#: cannot connect now), 58 system error. Every other class (22 data exception such as 22P05
#: "unsupported Unicode escape sequence", 23 integrity, 42 syntax, 54 limit exceeded) is permanent.
TRANSIENT_SQLSTATE_CLASSES = frozenset({"08", "40", "53", "55", "57", "58"})
#: How daprd words a failure the actor's own code answered (the app's actor route said 500).
ACTOR_RAISED = "error from actor service"
_SQLSTATE = re.compile(r"SQLSTATE ([0-9A-Z]{5})")
_INNER_CODE = re.compile(r'"errorCode":\s*"([A-Z_]+)"')
#: An actor method's own sidecar call met an outage (:meth:`SidecarUnavailable.__repr__`).
_ACTOR_MET_OUTAGE = re.compile(r"SidecarUnavailable\(([a-z-]+)\)")


def dependency_of(error_code: str) -> str:
    if error_code in ("ERR_ACTOR_NO_ADDRESS", "ERR_ACTOR_NO_PLACEMENT"):
        return "placement"
    if error_code.startswith("ERR_PUBSUB"):
        return "pubsub"
    if error_code.startswith("ERR_STATE") or error_code.startswith("ERR_ACTOR"):
        return "state-store"
    return "dapr-sidecar"


def classify_sidecar_error(status: int, code: str, message: str) -> SidecarUnavailable | SidecarRefused:
    """What a failed sidecar answer means for the caller (status, daprd ``errorCode``, message).

    An actor call that failed inside the actor (``ERR_ACTOR_INVOKE_METHOD``) is judged by the
    Dapr error inside it (the actor's own state call), or by the outage its own sidecar client met;
    an actor method that raised anything else is a bug: :class:`ActorMethodFailed` is raised. An
    actor call daprd could not deliver (no placement table, host unreachable) is judged by its
    message. Unrecognised 5xx stay outages.
    """
    if code == "ERR_ACTOR_INVOKE_METHOD":
        inner = _INNER_CODE.search(message)
        if inner and inner.group(1).startswith("ERR_"):
            code = inner.group(1)
        elif ACTOR_RAISED in message:
            if outage := _ACTOR_MET_OUTAGE.search(message):
                return SidecarUnavailable(f"the actor met an outage: {message[:300]}", outage.group(1))
            raise ActorMethodFailed(message[:300])
        # else daprd never reached the actor (placement lookup, host unreachable): judged below
    summary = f"{code}: {message[:300]}"
    lowered = message.lower()
    if status == 413 or any(marker in lowered for marker in TOO_LARGE_MARKERS):
        return SidecarRefused(summary, dependency_of(code), 413)
    sqlstate = _SQLSTATE.search(message)
    if sqlstate:
        if sqlstate.group(1)[:2] in TRANSIENT_SQLSTATE_CLASSES:
            return SidecarUnavailable(summary, dependency_of(code))
        return SidecarRefused(summary, dependency_of(code))
    if status == 401:
        return SidecarUnavailable("Dapr sidecar rejected this app's API token", "dapr-sidecar")
    if code in OUTAGE_CODES or any(marker in lowered for marker in OUTAGE_MARKERS):
        return SidecarUnavailable(summary, dependency_of(code))
    if status < 500:
        return SidecarRefused(summary, dependency_of(code))
    if code in ("ERR_MALFORMED_REQUEST", "ERR_BAD_REQUEST") or "strconv." in message:
        return SidecarRefused(summary, dependency_of(code))
    return SidecarUnavailable(summary, dependency_of(code))
