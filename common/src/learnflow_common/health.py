"""Liveness and readiness: ``/healthz`` says the process serves, ``/readyz`` that it can do its job.

Ready means: the sidecar answers, the components this app needs are loaded, and the state store
answers a read. Kubernetes and the local launcher both route traffic on ``/readyz``.
"""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import JSONResponse

from learnflow_common.dapr.errors import SidecarUnavailable
from learnflow_common.dapr.sidecar import DaprSidecar
from learnflow_common.problems import PROBLEM_BASE, PROBLEM_JSON

READINESS_PROBE_KEY = "readiness-probe"


def health_router(required_components: tuple[str, ...]) -> APIRouter:
    router = APIRouter(tags=["health"])

    @router.get("/healthz", summary="Liveness")
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    @router.get("/readyz", summary="Readiness", response_model=None)
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
                await sidecar.get_state(settings.state_store, READINESS_PROBE_KEY)
                checks["state_store"] = "ok"
            except SidecarUnavailable as error:
                checks.setdefault("components", "unknown")
                checks["state_store"] = str(error)
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
