"""Liveness and readiness: ``/healthz`` says the process serves, ``/readyz`` that it can take requests.

Ready means: the sidecar answers and the components this app needs are loaded. The state store and
the broker are deliberately not part of it: Kubernetes takes a pod that is not ready out of its
Service, so during a database outage clients would meet connection refused instead of the
documented 503 with ``Retry-After``, which the app answers itself for any request that needs the
store. Kubernetes and the local launcher both route traffic on ``/readyz``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.problems import PROBLEM_BASE, PROBLEM_JSON


def health_router(required_components: tuple[str, ...]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get(
        "/readyz",
        summary="Readiness",
        response_model=None,
        responses={503: {"description": "not ready: the sidecar is unreachable or a component is not loaded"}},
    )
    async def readyz(request: Request) -> JSONResponse | dict[str, Any]:
        sidecar: DaprSidecar = request.app.state.sidecar
        settings = request.app.state.settings
        checks: dict[str, str] = {}
        if not await sidecar.healthy():
            checks["sidecar"] = "unreachable"
        else:
            checks["sidecar"] = "ok"
            try:
                loaded = {component["name"] for component in (await sidecar.metadata()).get("components", [])}
                missing = [name for name in required_components if name not in loaded]
                checks["components"] = f"missing {', '.join(missing)}" if missing else "ok"
            except SidecarUnavailable as error:
                checks["components"] = str(error)
        if all(value == "ok" for value in checks.values()):
            return {"status": "ready", "checks": checks}
        body = {
            "type": PROBLEM_BASE + "not-ready",
            "title": "Not ready",
            "status": 503,
            "detail": "; ".join(f"{name}: {value}" for name, value in checks.items() if value != "ok"),
            "checks": checks,
        }
        return JSONResponse(
            body,
            status_code=503,
            media_type=PROBLEM_JSON,
            headers={"Retry-After": str(settings.retry_after_seconds)},
        )

    return router
