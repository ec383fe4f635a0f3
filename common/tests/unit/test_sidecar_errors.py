"""Which failed sidecar answers are outages (503 + Retry-After) and which are refusals that would
happen again (413 / 500, no Retry-After). The answers are daprd 1.18's, recorded against the real
stack (PostgreSQL state store, Kafka) or taken from its error definitions (pkg/messages)."""

from __future__ import annotations

import json

import pytest

from learnflow_common.dapr.errors import (
    ActorMethodFailed,
    SidecarRefused,
    SidecarUnavailable,
    classify_sidecar_error,
)


def _inside_actor(code: str, message: str) -> str:
    """How daprd reports a failure the actor met on its own state call (ERR_ACTOR_INVOKE_METHOD)."""
    inner = json.dumps({"message": message, "errorCode": code, "raw_response_bytes": "eyJ"})
    return f"error invoke actor method: error from actor service: (500) {inner}"


NUL_IN_JSONB = "ERROR: unsupported Unicode escape sequence (SQLSTATE 22P05)"

REFUSED = [
    # (what, status, errorCode, message, the app's status)
    (
        "state save of a value with NUL",
        500,
        "ERR_STATE_SAVE",
        f"failed saving state in state store statestore: {NUL_IN_JSONB}",
        500,
    ),
    (
        "actor transaction with NUL",
        500,
        "ERR_ACTOR_STATE_TRANSACTION_SAVE",
        f"error saving actor transaction state: {NUL_IN_JSONB}",
        500,
    ),
    (
        "NUL met inside an actor",
        500,
        "ERR_ACTOR_INVOKE_METHOD",
        _inside_actor("ERR_ACTOR_STATE_TRANSACTION_SAVE", f"error saving actor transaction state: {NUL_IN_JSONB}"),
        500,
    ),
    (
        "value too long for PostgreSQL",
        500,
        "ERR_STATE_SAVE",
        "ERROR: total size of jsonb object elements exceeds the maximum (SQLSTATE 54000)",
        500,
    ),
    ("state save over --max-body-size", 400, "ERR_MALFORMED_REQUEST", "stream too large", 413),
    (
        "actor call over --max-body-size",
        400,
        "ERR_BAD_REQUEST",
        "invalid request: failed to read body: stream too large",
        413,
    ),
    (
        "over the limit inside an actor",
        500,
        "ERR_ACTOR_INVOKE_METHOD",
        _inside_actor("ERR_MALFORMED_REQUEST", "stream too large"),
        413,
    ),
    (
        "malformed state request",
        400,
        "ERR_MALFORMED_REQUEST",
        "invalid character 'n' looking for beginning of object key string",
        500,
    ),
    (
        "query page token that is not a number",
        500,
        "ERR_STATE_QUERY",
        'state store statestore query failed: strconv.ParseInt: parsing "²": invalid syntax',
        500,
    ),
    ("actor method not allowed", 403, "ERR_ACTOR_TYPE_RESERVED", "actor type is reserved", 500),
]

OUTAGES = [
    (
        "state store frozen (resiliency timeout)",
        500,
        "ERR_STATE_SAVE",
        "failed saving state in state store statestore: context deadline exceeded",
    ),
    (
        "database refuses connections",
        500,
        "ERR_STATE_GET",
        "failed to connect to `user=learnflow database=learnflow`: 127.0.0.1:5433 (127.0.0.1): dial error: "
        "dial tcp 127.0.0.1:5433: connect: connection refused",
    ),
    (
        "database shutting down",
        500,
        "ERR_STATE_SAVE",
        "FATAL: terminating connection due to administrator command (SQLSTATE 57P01)",
    ),
    (
        "serialization failure",
        500,
        "ERR_ACTOR_STATE_TRANSACTION_SAVE",
        "ERROR: could not serialize access (SQLSTATE 40001)",
    ),
    ("circuit breaker open", 500, "ERR_STATE_QUERY", "state store statestore query failed: circuit breaker is open"),
    ("circuit breaker half-open", 500, "ERR_STATE_SAVE", "too many requests"),
    (
        "store down inside an actor",
        500,
        "ERR_ACTOR_INVOKE_METHOD",
        _inside_actor(
            "ERR_ACTOR_STATE_TRANSACTION_SAVE", "error saving actor transaction state: context deadline exceeded"
        ),
    ),
    ("state store component not loaded yet", 400, "ERR_STATE_STORE_NOT_FOUND", "state store statestore is not found"),
    ("pub/sub component not loaded yet", 404, "ERR_PUBSUB_NOT_FOUND", "pubsub pubsub not found"),
    (
        "no placement table yet",
        404,
        "ERR_ACTOR_NO_ADDRESS",
        "did not find address for actor 'LearnerProgressActor/ada'",
    ),
    ("app channel not up yet", 400, "ERR_ACTOR_NO_APP_CHANNEL", "app channel is not initialized"),
    ("actor runtime closing", 503, "ERR_ACTOR_RUNTIME_CLOSED", "actor runtime is closed"),
    (
        "broker down",
        500,
        "ERR_PUBSUB_PUBLISH_MESSAGE",
        "error when publish to topic progress-events in pubsub pubsub: "
        "kafka: client has run out of available brokers to talk to",
    ),
    (
        "other app unreachable",
        500,
        "ERR_DIRECT_INVOKE",
        "failed to invoke, id: user-progress, err: dial tcp 127.0.0.1:8002: connect: connection refused",
    ),
    ("sidecar not ready", 500, "ERR_HEALTH_NOT_READY", "dapr is not ready: [placement]"),
    (
        "placement lookup timed out",
        500,
        "ERR_ACTOR_INVOKE_METHOD",
        "error invoke actor method: failed to lookup actor: context deadline exceeded",
    ),
    (
        "actor host unreachable",
        500,
        "ERR_ACTOR_INVOKE_METHOD",
        "error invoke actor method: failed to invoke target 10.0.0.7:50002 after 3 retries. Error: rpc error",
    ),
    ("actor moved to another host", 500, "ERR_ACTOR_INVOKE_METHOD", "error invoke actor method: remote actor moved"),
    ("an unrecognised 5xx stays an outage", 500, "ERR_UNKNOWN", ""),
    ("app token refused", 401, "ERR_UNKNOWN", "invalid api token"),
]


@pytest.mark.parametrize(("what", "status", "code", "message", "answer"), REFUSED, ids=[row[0] for row in REFUSED])
def test_a_request_that_would_fail_again_is_refused_not_retried(
    what: str, status: int, code: str, message: str, answer: int
) -> None:
    error = classify_sidecar_error(status, code, message)

    assert isinstance(error, SidecarRefused)
    assert error.status == answer


@pytest.mark.parametrize(("what", "status", "code", "message"), OUTAGES, ids=[row[0] for row in OUTAGES])
def test_only_a_dependency_that_does_not_answer_is_an_outage(what: str, status: int, code: str, message: str) -> None:
    assert isinstance(classify_sidecar_error(status, code, message), SidecarUnavailable)


def test_an_actor_method_that_raised_is_a_bug_not_an_outage() -> None:
    message = _inside_actor("UNKNOWN", "ValueError('learner belongs to shard 3')")

    with pytest.raises(ActorMethodFailed, match="belongs to shard"):
        classify_sidecar_error(500, "ERR_ACTOR_INVOKE_METHOD", message)


def test_an_outage_an_actor_method_met_on_its_own_sidecar_call_is_an_outage_of_that_dependency() -> None:
    met = SidecarUnavailable("ERR_STATE_GET: context deadline exceeded", "state-store")
    message = _inside_actor("UNKNOWN", repr(met))  # what the SDK's actor route answers for it

    classified = classify_sidecar_error(500, "ERR_ACTOR_INVOKE_METHOD", message)

    assert isinstance(classified, SidecarUnavailable)
    assert classified.dependency == "state-store"


def test_refusals_name_the_dependency_they_came_from() -> None:
    assert classify_sidecar_error(500, "ERR_STATE_SAVE", NUL_IN_JSONB).dependency == "state-store"
    assert classify_sidecar_error(400, "ERR_PUBSUB_CLOUD_EVENTS_SER", "bad event").dependency == "pubsub"


def test_outages_name_the_dependency_that_is_down() -> None:
    assert classify_sidecar_error(500, "ERR_STATE_SAVE", "context deadline exceeded").dependency == "state-store"
    assert classify_sidecar_error(404, "ERR_ACTOR_NO_ADDRESS", "did not find address").dependency == "placement"
    assert classify_sidecar_error(404, "ERR_PUBSUB_NOT_FOUND", "pubsub not found").dependency == "pubsub"
