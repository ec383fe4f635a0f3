"""Settings every LearnFlow app has: where its sidecar is, the two tokens, its own port, and whose
bearer tokens it trusts.

The variable names are the ones ``dapr run`` and the Kubernetes sidecar injector set, so an app
runs unchanged under ``make run``, ``dapr run -f .`` and in a cluster.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Annotated

from pydantic import Field, SecretStr, field_validator, model_validator
from pydantic_settings import BaseSettings, NoDecode, SettingsConfigDict

from learnflow_common.subscriptions import MAX_DELIVERY_BYTES

#: The shortest DAPR_API_TOKEN / APP_API_TOKEN an app accepts. What this repository generates is
#: far longer (`make up`: 43 characters, token_urlsafe(32); `make secrets`: 64 hex characters).
MIN_TOKEN_LENGTH = 16


class DaprAppSettings(BaseSettings):
    # A refused value is not echoed in the error (pydantic would print a short token in full).
    model_config = SettingsConfigDict(env_file=None, extra="ignore", hide_input_in_errors=True)

    app_id: str = Field(validation_alias="APP_ID")
    app_host: str = Field(default="127.0.0.1", validation_alias="APP_HOST")
    app_port: int = Field(validation_alias="APP_PORT")
    dapr_host: str = Field(default="127.0.0.1", validation_alias="DAPR_HOST")
    dapr_http_port: int = Field(default=3500, validation_alias="DAPR_HTTP_PORT")
    #: Sent on every call to the sidecar; the sidecar rejects calls without it.
    dapr_api_token: SecretStr = Field(validation_alias="DAPR_API_TOKEN")
    #: What the sidecar sends on its calls to the app; Dapr-facing routes reject calls without it.
    app_api_token: SecretStr = Field(validation_alias="APP_API_TOKEN")
    state_store: str = Field(default="statestore", validation_alias="STATE_STORE_NAME")
    pubsub: str = Field(default="pubsub", validation_alias="PUBSUB_NAME")
    sidecar_timeout_seconds: float = Field(default=5.0, validation_alias="SIDECAR_TIMEOUT_SECONDS")
    #: Longer: calls to one actor run one at a time, so a burst for one learner queues.
    actor_timeout_seconds: float = Field(default=30.0, validation_alias="ACTOR_TIMEOUT_SECONDS")
    #: Values an active actor holds in memory at most, the most recently used (staged ones besides):
    #: a call uses fewer than a dozen, and one held per value ever written grew without bound
    #: (learnflow_common.dapr.actor_state).
    actor_cached_values: int = Field(default=32, ge=1, validation_alias="ACTOR_CACHED_VALUES")
    #: Actors of the process that hold values at once, the most recently used (``ValueHolders``):
    #: one active actor holds up to ``actor_cached_values``, and actors stay active for
    #: ``actor_idle_seconds``, so without it an app grew with every learner of the last ten minutes
    #: (60-80 KB each in the Course Agent: benchmarks/results/PROFILE.md, "Phase 24").
    actors_holding_values: int = Field(default=256, ge=1, validation_alias="ACTORS_HOLDING_VALUES")
    #: Seconds an actor stays active after its last call (``actorIdleTimeout``; Dapr's default is an
    #: hour). An active actor may hold its values (~50 KB; ``actors_holding_values`` of them at most):
    #: an hour of new learners, each holding theirs, grew each app ~14 MB a benchmark sitting
    #: (benchmarks/results/PROFILE.md, "Phase 18"). A learner back within it finds their actor active.
    actor_idle_seconds: int = Field(default=600, ge=1, validation_alias="ACTOR_IDLE_SECONDS")
    #: Python's garbage collector once the app has started (learnflow_common.collector): what
    #: start-up built is frozen out of its scans, and a young collection runs every this-many
    #: allocations of container objects (Python's default, 700, cost User Progress 0.1-1.0 ms per
    #: update collecting and pauses of 50-210 ms: benchmarks/results/PROFILE.md, "Phase 20"; 0 keeps it).
    gc_freeze_at_start: bool = Field(default=True, validation_alias="GC_FREEZE_AT_START")
    gc_young_threshold: int = Field(default=10_000, ge=0, validation_alias="GC_YOUNG_THRESHOLD")
    #: Seconds a client is told to wait (Retry-After) when the sidecar or a component is down.
    retry_after_seconds: int = Field(default=5, validation_alias="RETRY_AFTER_SECONDS")
    max_body_bytes: int = Field(default=64 * 1024, validation_alias="MAX_BODY_BYTES")
    #: A subscription delivery may hold many messages (bulk subscriptions): it is held to this, and
    #: each event in it to ``max_body_bytes`` (learnflow_common.subscriptions).
    max_delivery_bytes: int = Field(default=MAX_DELIVERY_BYTES, ge=1, validation_alias="MAX_DELIVERY_BYTES")
    #: How long the app keeps an idle connection open. Longer than daprd's idle timeout for its
    #: connections to the app (90 s, Go's default transport), so the sidecar, not the app, closes
    #: idle ones: with uvicorn's default of 5 s, daprd could send an actor call on a connection the
    #: app was closing, get EOF (a PUT is not retried) and the caller a spurious 503.
    keep_alive_seconds: int = Field(default=120, ge=1, validation_alias="APP_KEEP_ALIVE_SECONDS")
    log_level: str = Field(default="info", validation_alias="LOG_LEVEL")
    #: Bearer tokens (learnflow_common.auth): who issues them, for which audience, and where their
    #: public keys are - a JWKS file (development, a mounted Secret) or the issuer's JWKS URL.
    auth_issuer: str = Field(default="learnflow-dev", min_length=1, validation_alias="AUTH_ISSUER")
    auth_audience: str = Field(default="learnflow", min_length=1, validation_alias="AUTH_AUDIENCE")
    auth_jwks_file: Path | None = Field(default=None, validation_alias="AUTH_JWKS_FILE")
    auth_jwks_url: str | None = Field(default=None, validation_alias="AUTH_JWKS_URL")
    #: Per caller, on the routes that write or cost work (learnflow_common.ratelimit); admins and
    #: services are not limited.
    rate_limit_per_minute: int = Field(default=120, ge=1, validation_alias="RATE_LIMIT_PER_MINUTE")
    rate_limit_burst: int = Field(default=30, ge=1, validation_alias="RATE_LIMIT_BURST")
    #: Clock skew allowed on exp/nbf/iat.
    auth_leeway_seconds: int = Field(default=30, ge=0, le=300, validation_alias="AUTH_LEEWAY_SECONDS")
    #: Browser origins allowed to call the API (CORS), comma-separated, e.g.
    #: ``https://app.learnflow.dev,http://localhost:5173``; ``*`` allows any. None by default: a
    #: browser page of another origin cannot read the answers.
    cors_origins: Annotated[list[str], NoDecode] = Field(default_factory=list, validation_alias="CORS_ORIGINS")
    #: Where the app sends its spans over OTLP/HTTP (``/v1/traces`` is appended), e.g.
    #: ``http://127.0.0.1:4318``; unset, it records none and only passes the trace context on
    #: (learnflow_common.tracing).
    otel_exporter_otlp_endpoint: str | None = Field(default=None, validation_alias="OTEL_EXPORTER_OTLP_ENDPOINT")
    #: The share of new traces sampled; a request that comes with a sampling decision keeps it.
    trace_sampling_rate: float = Field(default=1.0, ge=0, le=1, validation_alias="OTEL_TRACES_SAMPLER_ARG")

    @field_validator("cors_origins", mode="before")
    @classmethod
    def _comma_separated(cls, value: object) -> object:
        if isinstance(value, str):
            return [origin.strip().rstrip("/") for origin in value.split(",") if origin.strip()]
        return value

    @field_validator("cors_origins")
    @classmethod
    def _origins_are_origins(cls, origins: list[str]) -> list[str]:
        """An origin is scheme://host[:port], nothing after: a path would never match a browser's
        Origin header, and the mistake would only show as a frontend that cannot call the API."""
        for origin in origins:
            if origin != "*" and re.fullmatch(r"https?://[^/\s]+", origin) is None:
                raise ValueError(f"{origin!r} is not an origin (scheme://host[:port], or *)")
        return origins

    @field_validator("otel_exporter_otlp_endpoint")
    @classmethod
    def _endpoint_is_a_url(cls, endpoint: str | None) -> str | None:
        """A mistyped endpoint would only show as traces that never arrive: refuse to start."""
        if not endpoint:
            return None
        if re.fullmatch(r"https?://[^/\s]+(/\S*)?", endpoint) is None:
            raise ValueError(f"{endpoint!r} is not an http(s) URL, e.g. http://127.0.0.1:4318")
        return endpoint

    @field_validator("dapr_api_token", "app_api_token")
    @classmethod
    def _token_is_set(cls, token: SecretStr) -> SecretStr:
        """An empty APP_API_TOKEN would let anyone call the Dapr-facing routes (the guard compares
        it with a missing header and finds them equal); an empty DAPR_API_TOKEN means a sidecar
        that checks nothing; a short one of either can be guessed. All are a deployment mistake:
        refuse to start, saying which variable (pydantic names it) and why, never its value."""
        value = token.get_secret_value().strip()
        if not value:
            raise ValueError("must not be empty")
        if len(value) < MIN_TOKEN_LENGTH:
            raise ValueError(
                f"is {len(value)} characters long, shorter than the minimum of {MIN_TOKEN_LENGTH}: "
                "generate one, e.g. `openssl rand -hex 32`"
            )
        return token

    @model_validator(mode="after")
    def _one_key_source(self) -> DaprAppSettings:
        """Without keys no token could be checked: refuse to start rather than serve nobody (or,
        worse, everybody)."""
        if (self.auth_jwks_file is None) == (self.auth_jwks_url is None):
            raise ValueError("set exactly one of AUTH_JWKS_FILE and AUTH_JWKS_URL")
        return self

    @property
    def dapr_url(self) -> str:
        return f"http://{self.dapr_host}:{self.dapr_http_port}"
