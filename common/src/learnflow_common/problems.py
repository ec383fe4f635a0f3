"""RFC 9457 problem details: the one shape of every error both services return.

Routers raise :class:`Problem` (or let validation / sidecar errors propagate); the handlers
installed by :func:`install_problem_handlers` turn them into ``application/problem+json``, and the
OpenAPI document says so (:func:`document_problems`): every error status a route documents in its
``responses=`` gets the problem schema, and the ones every route of a kind can answer (401, 403 and
503 on an authenticated route, 400 and 413 with a body) are added.
"""

from __future__ import annotations

import json
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


def invalid_field(
    field: str,
    message: str,
    *,
    slug: str = "validation-error",
    title: str = "Request validation failed",
    detail: str | None = None,
    **extra: Any,
) -> Problem:
    """A 422 for one field, in the shape request validation gives (``errors[].field``). A refusal
    a client handles apart (``unknown-topic``, ``too-late``) gives its own ``slug`` and ``title``
    and keeps that shape; ``detail`` defaults to ``message``."""
    return Problem(422, slug, title, detail or message, errors=[{"field": field, "message": message}], **extra)


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
    document_problems(app)

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
        titles = {400: "Bad request", 404: "Not found", 405: "Method not allowed", 413: "Request body too large"}
        slug = {400: "bad-request", 404: "not-found", 405: "method-not-allowed", 413: "payload-too-large"}.get(
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


#: The JSON Schema of every error body (``components.schemas.Problem`` in OpenAPI).
PROBLEM_SCHEMA: dict[str, Any] = {
    "title": "Problem",
    "description": "RFC 9457 problem details; extension members (e.g. `errors`, `dependency`) may follow.",
    "type": "object",
    "required": ["type", "title", "status"],
    "properties": {
        "type": {"type": "string", "format": "uri", "description": f"`{PROBLEM_BASE}<slug>`"},
        "title": {"type": "string"},
        "status": {"type": "integer", "minimum": 400, "maximum": 599},
        "detail": {"type": "string"},
        "instance": {"type": "string", "description": "The request path"},
        "errors": {
            "type": "array",
            "description": "The fields refused (validation errors)",
            "items": {
                "type": "object",
                "required": ["field", "message"],
                "properties": {"field": {"type": "string"}, "message": {"type": "string"}},
            },
        },
    },
}
PROBLEM_REF = {"$ref": "#/components/schemas/Problem"}
#: Answers any authenticated route may give besides its own (the token, then the sidecar).
AUTHENTICATED_ROUTE_ERRORS = {
    "401": "No bearer token, or one that is invalid or expired (see WWW-Authenticate)",
    "403": "The token may not act for this learner, or lacks the scope this needs",
    "503": "A dependency is unavailable: retry after Retry-After seconds",
}
BODY_ROUTE_ERRORS = {
    "400": "The body cannot be read as JSON text (e.g. it is not UTF-8)",
    "413": "The request body is over the size limit",
}
_RETRY_AFTER = {"required": True, "description": "Seconds to wait", "schema": {"type": "integer", "minimum": 0}}
ERROR_HEADERS: dict[str, dict[str, Any]] = {
    "401": {"WWW-Authenticate": {"required": True, "description": "RFC 6750 challenge", "schema": {"type": "string"}}},
    "429": {"Retry-After": _RETRY_AFTER},
    "503": {"Retry-After": _RETRY_AFTER},
}
_METHODS = {"get", "put", "post", "delete", "options", "head", "patch", "trace"}


def document_problems(app: FastAPI) -> None:
    """Makes ``app``'s OpenAPI document the error answers as the handlers give them (problem+json),
    in place of FastAPI's default 422 body, which this app never sends."""

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            app.openapi_schema = problem_documented(FastAPI.openapi(app))
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]  # FastAPI's documented way to replace the document


def problem_documented(document: dict[str, Any]) -> dict[str, Any]:
    """``document`` (an OpenAPI document) with every error response described as a problem."""
    schemas = document.setdefault("components", {}).setdefault("schemas", {})
    schemas["Problem"] = PROBLEM_SCHEMA
    for path_item in document.get("paths", {}).values():
        for method, operation in path_item.items():
            if method not in _METHODS:
                continue
            responses = operation.setdefault("responses", {})
            implied = {**(AUTHENTICATED_ROUTE_ERRORS if operation.get("security") else {})}
            implied |= BODY_ROUTE_ERRORS if "requestBody" in operation else {}
            for status, description in sorted(implied.items()):
                responses.setdefault(status, {"description": description})
            operation["responses"] = responses = dict(sorted(responses.items()))
            for status, response in responses.items():
                if status[0] in "45":
                    response["content"] = {PROBLEM_JSON: {"schema": PROBLEM_REF}}
                    if status in ERROR_HEADERS:
                        response.setdefault("headers", {}).update(ERROR_HEADERS[status])
    if "HTTPValidationError" not in json.dumps(document.get("paths", {})):
        schemas.pop("HTTPValidationError", None)
        schemas.pop("ValidationError", None)
    return document
