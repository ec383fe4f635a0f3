"""RFC 9457 problem details: the one shape of every error both services return.

Routers raise :class:`Problem` (or let validation / sidecar errors propagate); the handlers
installed by :func:`install_problem_handlers` turn them into ``application/problem+json``.
"""

from __future__ import annotations

import logging
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from starlette.exceptions import HTTPException as StarletteHTTPException

from learnflow_common.dapr.errors import SidecarRefused, SidecarUnavailable

PROBLEM_JSON = "application/problem+json"
PROBLEM_BASE = "https://learnflow.dev/problems/"
log = logging.getLogger(__name__)


class Problem(Exception):
    """An error answer: ``slug`` becomes the problem ``type`` URI, ``extra`` extension members."""

    def __init__(
        self,
        status: int,
        slug: str,
        title: str,
        detail: str | None = None,
        headers: dict[str, str] | None = None,
        **extra: Any,
    ) -> None:
        super().__init__(detail or title)
        self.status = status
        self.slug = slug
        self.title = title
        self.detail = detail
        self.headers = headers or {}
        self.extra = extra


def problem_response(problem: Problem, instance: str | None = None) -> JSONResponse:
    body: dict[str, Any] = {"type": PROBLEM_BASE + problem.slug, "title": problem.title, "status": problem.status}
    if problem.detail:
        body["detail"] = problem.detail
    if instance:
        body["instance"] = instance
    body.update(problem.extra)
    return JSONResponse(body, status_code=problem.status, headers=problem.headers, media_type=PROBLEM_JSON)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = [str(part) for part in loc if part not in ("body", "query", "path", "header")]
    return ".".join(parts) or str(loc[0] if loc else "body")


def validation_problem(errors: list[dict[str, Any]]) -> Problem:
    fields = [
        {"field": _field_path(tuple(error.get("loc", ()))), "message": error.get("msg", "invalid")} for error in errors
    ]
    names = ", ".join(dict.fromkeys(item["field"] for item in fields))
    return Problem(422, "validation-error", "Request validation failed", f"Invalid field(s): {names}", errors=fields)


def invalid_field(field: str, message: str) -> Problem:
    """A 422 for one field, in the shape request validation gives (``errors[].field``)."""
    return Problem(
        422, "validation-error", "Request validation failed", message, errors=[{"field": field, "message": message}]
    )


def unavailable_problem(error: SidecarUnavailable, retry_after: int) -> Problem:
    return Problem(
        503,
        "dependency-unavailable",
        "A dependency is unavailable",
        # The dependency's own words stay in the log (they can name hosts, tables and SQL): the client
        # learns which part is down, and when to try again.
        f"The {error.dependency} is unavailable. Retry after the time in Retry-After.",
        headers={"Retry-After": str(retry_after)},
        dependency=error.dependency,
    )


def refused_problem(error: SidecarRefused) -> Problem:
    """A refusal that would happen again: 413 for a request over a size limit, else 500; never
    Retry-After (see ``learnflow_common.dapr.errors``)."""
    if error.status == 413:
        return Problem(
            413,
            "payload-too-large",
            "Request too large",
            "The request is too large to be stored or passed on; sending it again will not help.",
            dependency=error.dependency,
        )
    return Problem(
        500,
        "dependency-refused",
        "The request could not be processed",
        "A dependency refused this request as such; sending it again will not help.",
        dependency=error.dependency,
    )


def install_problem_handlers(app: FastAPI, retry_after_seconds: int) -> None:
    @app.exception_handler(Problem)
    async def _problem(request: Request, exc: Problem) -> JSONResponse:
        return problem_response(exc, request.url.path)

    @app.exception_handler(RequestValidationError)
    async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
        return problem_response(validation_problem(list(exc.errors())), request.url.path)

    @app.exception_handler(SidecarUnavailable)
    async def _unavailable(request: Request, exc: SidecarUnavailable) -> JSONResponse:
        log.warning("dependency unavailable on %s: %s", request.url.path, exc)
        return problem_response(unavailable_problem(exc, retry_after_seconds), request.url.path)

    @app.exception_handler(SidecarRefused)
    async def _refused(request: Request, exc: SidecarRefused) -> JSONResponse:
        log.error("dependency refused the request on %s: %s", request.url.path, exc)
        return problem_response(refused_problem(exc), request.url.path)

    @app.exception_handler(StarletteHTTPException)
    async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
        titles = {404: "Not found", 405: "Method not allowed", 413: "Request body too large"}
        slug = {404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
            exc.status_code, "http-error"
        )
        problem = Problem(
            exc.status_code,
            slug,
            titles.get(exc.status_code, "HTTP error"),
            str(exc.detail),
            headers=dict(exc.headers or {}),
        )
        return problem_response(problem, request.url.path)

    @app.exception_handler(Exception)
    async def _unexpected(request: Request, exc: Exception) -> JSONResponse:
        log.exception("unhandled error on %s", request.url.path)
        return problem_response(Problem(500, "internal-error", "Internal server error"), request.url.path)
