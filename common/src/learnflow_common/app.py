"""The skeleton both services share: lifespan with the sidecar client, actors, middleware, health.

Each service's ``create_app()`` calls :func:`create_dapr_app` with its own routers and actor
types, so the wiring that must be identical in both lives here once.
"""

from __future__ import annotations

from collections.abc import AsyncIterator, Callable, Iterator, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager, contextmanager
from datetime import timedelta
from typing import Annotated

from dapr.actor import Actor
from dapr.actor.runtime.config import ActorRuntimeConfig
from dapr.actor.runtime.runtime import ActorRuntime
from dapr.clients.health import DaprHealth
from dapr.ext.fastapi import DaprActor
from fastapi import APIRouter, Depends, FastAPI, Request
from fastapi.middleware.cors import CORSMiddleware

from learnflow_common.auth import KeySet, TokenVerifier
from learnflow_common.collector import tune_collector
from learnflow_common.dapr.actor_calls import ActorMethodCalls
from learnflow_common.dapr.actor_client import PooledDaprActorHttpClient
from learnflow_common.dapr.actor_state import ValueHolders
from learnflow_common.dapr.actors import PLAIN_JSON, SidecarActor
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.dapr.turns import keep_turns
from learnflow_common.health import health_router
from learnflow_common.logs import RequestLog, configure_logging
from learnflow_common.metrics import expose_metrics
from learnflow_common.middleware import AppTokenGuard, BodySizeLimit
from learnflow_common.problems import install_problem_handlers
from learnflow_common.ratelimit import RateLimiter
from learnflow_common.settings import DaprAppSettings
from learnflow_common.tracing import instrument, shut_down, tracer_provider


def create_dapr_app(
    *,
    title: str,
    version: str,
    description: str,
    settings: DaprAppSettings,
    routers: Sequence[APIRouter],
    actor_types: Sequence[type[Actor]],
    required_components: tuple[str, ...],
    background: Callable[[FastAPI], AbstractAsyncContextManager[None]] | None = None,
) -> FastAPI:
    """``background``: work the app runs beside its requests (e.g. a queue's workers), entered once the
    sidecar client is up and left before it closes."""
    configure_logging(settings.app_id, settings.log_level)
    spans = (
        tracer_provider(settings.app_id, settings.otel_exporter_otlp_endpoint, settings.trace_sampling_rate)
        if settings.otel_exporter_otlp_endpoint
        else None
    )

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.sidecar = _sidecar_client(settings)
        # Actors get their own client: their calls (publishing the outbox) must never wait behind
        # the API's calls, which are themselves waiting for those actors.
        actor_sidecar = _sidecar_client(settings)
        ActorRuntime.set_actor_config(
            ActorRuntimeConfig(actor_idle_timeout=timedelta(seconds=settings.actor_idle_seconds))
        )
        keep_turns()
        with _no_blocking_sidecar_wait():
            actor_client = PooledDaprActorHttpClient(PLAIN_JSON)
            value_holders = ValueHolders(settings.actors_holding_values)
            for actor_type in actor_types:
                if issubclass(actor_type, SidecarActor):
                    actor_type.bind(actor_sidecar, settings, value_holders)
                await dapr_actor.register_actor(
                    actor_type, message_serializer=PLAIN_JSON, state_serializer=PLAIN_JSON, actor_client=actor_client
                )
        tune_collector(settings.gc_young_threshold, settings.gc_freeze_at_start)
        try:
            if background is None:
                yield
            else:
                async with background(app):
                    yield
        finally:
            await app.state.sidecar.aclose()
            await actor_sidecar.aclose()
            await actor_client.aclose()
            await shut_down(spans)

    app = FastAPI(title=title, version=version, description=description, lifespan=lifespan)
    app.state.settings = settings
    app.state.app_token = settings.app_api_token.get_secret_value().encode()
    app.state.token_verifier = TokenVerifier(
        KeySet(file=settings.auth_jwks_file, url=settings.auth_jwks_url),
        settings.auth_issuer,
        settings.auth_audience,
        settings.auth_leeway_seconds,
    )
    app.state.rate_limiter = RateLimiter(settings.rate_limit_per_minute, settings.rate_limit_burst)
    install_problem_handlers(app, settings.retry_after_seconds)
    expose_metrics(app)
    app.include_router(health_router(required_components))
    for router in routers:
        app.include_router(router)
    dapr_actor = DaprActor(FastAPI())  # a scratch app: see _sidecar_router
    app.include_router(_sidecar_router(dapr_actor), include_in_schema=False)
    app.add_middleware(ActorMethodCalls)  # inside the guard and the limit, outside the routing (see there)
    app.add_middleware(BodySizeLimit, max_bytes=settings.max_body_bytes, max_delivery_bytes=settings.max_delivery_bytes)
    app.add_middleware(AppTokenGuard, token=settings.app_api_token.get_secret_value())
    if settings.cors_origins:  # outermost: preflights and error answers carry the CORS headers too
        app.add_middleware(
            CORSMiddleware,
            allow_origins=settings.cors_origins,
            allow_methods=["GET", "POST"],
            allow_headers=["Authorization", "Content-Type"],
            expose_headers=["Location", "Retry-After", "WWW-Authenticate", "X-Request-ID"],
            max_age=600,
        )
    app.add_middleware(RequestLog)  # every answer is logged and carries its X-Request-ID
    instrument(app, spans)  # outermost of all: the access line and every call of a request are in its span
    return app


def _sidecar_router(dapr_actor: DaprActor) -> APIRouter:
    """The SDK's routes (/dapr/config, /actors/...), which only daprd calls (the app-token guard
    refuses anyone else): included without OpenAPI entries, and without the SDK's own /healthz, a
    duplicate of the health router's. ``DaprActor`` adds its routes to the app it is given, so it is
    given a scratch one, and its routes are made again on this router."""
    router = APIRouter()
    dapr_actor.init_routes(router)
    router.routes = [route for route in router.routes if getattr(route, "path", None) != "/healthz"]
    return router


def _sidecar_client(settings: DaprAppSettings) -> DaprSidecar:
    return DaprSidecar(
        settings.dapr_url,
        settings.dapr_api_token.get_secret_value(),
        settings.sidecar_timeout_seconds,
        settings.actor_timeout_seconds,
    )


@contextmanager
def _no_blocking_sidecar_wait() -> Iterator[None]:
    """The SDK's actor client waits (blocking the event loop) up to 60 s for the sidecar, then
    raises, when actors are registered. The app must start without its sidecar (Kubernetes starts
    containers in any order) and say so on /readyz instead; the sidecar only calls the app once it
    is up itself."""
    original = DaprHealth.wait_for_sidecar
    # The SDK offers no switch: its method is replaced for the start-up, then put back.
    DaprHealth.wait_for_sidecar = staticmethod(lambda: None)  # type: ignore[method-assign]
    try:
        yield
    finally:
        DaprHealth.wait_for_sidecar = original  # type: ignore[method-assign]


async def get_sidecar(request: Request) -> DaprSidecar:
    """FastAPI dependency: the app's sidecar client. Dependencies that do no I/O are ``async`` all
    the same: FastAPI runs a plain ``def`` one in its thread pool, a thread handoff per request."""
    sidecar: DaprSidecar = request.app.state.sidecar
    return sidecar


async def get_settings(request: Request) -> DaprAppSettings:
    """FastAPI dependency: the app's settings."""
    settings: DaprAppSettings = request.app.state.settings
    return settings


#: A route parameter annotated ``Sidecar`` receives the app's sidecar client.
Sidecar = Annotated[DaprSidecar, Depends(get_sidecar)]
#: A route parameter annotated ``AppSettings`` receives the app's settings.
AppSettings = Annotated[DaprAppSettings, Depends(get_settings)]
