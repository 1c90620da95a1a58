"""Every error answer is RFC 9457 application/problem+json, mapped here and only here."""

from __future__ import annotations

import logging
from collections.abc import Mapping
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from pydantic import BaseModel, ConfigDict, Field
from starlette.exceptions import HTTPException

from app.api.methods import allowed_methods
from app.api.slashes import slash_redirect
from app.errors import Conflict, Invalid, NotFound, PreconditionFailed, TenantRequired, Unavailable
from app.request_context import request_id

PROBLEM_JSON = "application/problem+json"
logger = logging.getLogger("multidb.api")


_ID = "0193a5b2-7c4e-7d1a-9f3b-5e2c8a1d4f60"
_REQUEST_ID = "0193a5b2-7c50-7e2b-8c1d-2f4a6b8c0d1e"
# What each error status says, in the examples of the OpenAPI document.
DETAILS = {
    400: "the body is not valid JSON, or is nested too deeply to parse",
    401: "a valid API key is required: send Authorization: Bearer <key>",
    403: "this API key may only read",
    404: f"no users with id {_ID}",
    409: "a users with this email already exists",
    412: f"users {_ID} has changed since the version given in If-Match",
    405: "DELETE is not allowed here; allowed: GET, HEAD, OPTIONS, POST",
    413: "the body is over MAX_BODY_BYTES (1048576 bytes)",
    415: "the body must be application/json",
    422: "the request is invalid (1 error(s))",
    500: "an unexpected error occurred; it has been logged",
    503: "database 'users_db' is unavailable: connection refused",
}


def problem_example(status: int) -> dict[str, Any]:
    body = {
        "type": "about:blank",
        "title": HTTPStatus(status).phrase,
        "status": status,
        "detail": DETAILS[status],
        "request_id": _REQUEST_ID,
    }
    if status == 422:
        body["errors"] = [{"field": "email", "message": "value is not a valid email address"}]
    return body


class Problem(BaseModel):
    """An RFC 9457 problem: every error answer's body, as application/problem+json."""

    model_config = ConfigDict(json_schema_extra={"examples": [problem_example(404)]})

    type: str = "about:blank"
    title: str
    status: int
    detail: str
    request_id: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The request's X-Request-ID, as in the answer's header and the service's log lines.",
    )


class FieldError(BaseModel):
    model_config = ConfigDict(json_schema_extra={"examples": [problem_example(422)["errors"][0]]})

    field: str
    message: str


class ValidationProblem(Problem):
    """A 422: the problem, and what is wrong with each field."""

    model_config = ConfigDict(json_schema_extra={"examples": [problem_example(422)]})

    errors: list[FieldError]


def problem(status: int, detail: str, headers: Mapping[str, str] | None = None, **extra: Any) -> JSONResponse:
    body = Problem(
        title=HTTPStatus(status).phrase, status=status, detail=detail, request_id=request_id()
    ).model_dump()
    return JSONResponse({**body, **extra}, status_code=status, headers=headers, media_type=PROBLEM_JSON)


def problem_responses(*statuses: int) -> dict[int | str, dict[str, Any]]:
    """The OpenAPI `responses` of a route that can answer with these error statuses."""
    responses: dict[int | str, dict[str, Any]] = {
        status: {
            "model": ValidationProblem if status == 422 else Problem,
            "description": HTTPStatus(status).phrase,
            "content": {"application/json": {"example": problem_example(status)}},
        }
        for status in (*statuses, 500)
    }
    if 503 in responses:
        responses[503]["headers"] = retry_after_header("Seconds to wait before retrying")
    return responses


def retry_after_header(description: str) -> dict[str, Any]:
    """The OpenAPI `headers` of an answer that says when to try again (every 503)."""
    return {"Retry-After": {"description": description, "schema": {"type": "integer"}}}


def _field(loc: tuple[int | str, ...]) -> str:
    path = loc[1:] if len(loc) > 1 and loc[0] in ("body", "query", "path", "header") else loc
    return ".".join(str(part) for part in path)


async def _bad_request(request: Request, error: Exception) -> JSONResponse:
    return problem(400, str(error))


async def _not_found(request: Request, error: Exception) -> JSONResponse:
    return problem(404, str(error))


async def _conflict(request: Request, error: Exception) -> JSONResponse:
    return problem(409, str(error))


async def _precondition_failed(request: Request, error: Exception) -> JSONResponse:
    return problem(412, str(error))


async def _unavailable(request: Request, error: Exception) -> JSONResponse:
    retry_after = str(request.app.state.retry_after)
    return problem(503, str(error), headers={"Retry-After": retry_after})


async def _invalid(request: Request, error: Exception) -> JSONResponse:
    assert isinstance(error, RequestValidationError)
    errors = [
        FieldError(field=_field(tuple(item["loc"])), message=item["msg"]).model_dump()
        for item in error.errors()
    ]
    return problem(422, f"the request is invalid ({len(errors)} error(s))", errors=errors)


async def _refused(request: Request, error: Exception) -> JSONResponse:
    return problem(422, str(error), errors=[])


async def _http(request: Request, error: Exception) -> Response:
    assert isinstance(error, HTTPException)
    if error.status_code == 404 and (redirect := slash_redirect(request)) is not None:
        return redirect
    if error.status_code == 405:  # the Allow of every route at this path, not the first's
        allowed = allowed_methods(request.app.router.routes, request.scope)
        headers = {**(error.headers or {}), "Allow": ", ".join(allowed)}
        return problem(405, f"{request.method} is not allowed here; allowed: {', '.join(allowed)}", headers)
    return problem(error.status_code, str(error.detail), headers=error.headers)


async def _unexpected(request: Request, error: Exception) -> JSONResponse:
    logger.error("unexpected error on %s %s", request.method, request.url.path, exc_info=error)
    return problem(500, "an unexpected error occurred; it has been logged")


def install_problem_handlers(app: FastAPI) -> None:
    app.add_exception_handler(TenantRequired, _bad_request)
    app.add_exception_handler(NotFound, _not_found)  # and UnknownTenant, a NotFound
    app.add_exception_handler(Conflict, _conflict)
    app.add_exception_handler(PreconditionFailed, _precondition_failed)
    app.add_exception_handler(Unavailable, _unavailable)
    app.add_exception_handler(Invalid, _refused)
    app.add_exception_handler(RequestValidationError, _invalid)
    app.add_exception_handler(HTTPException, _http)
    app.add_exception_handler(Exception, _unexpected)


def problem_json_openapi(app: FastAPI) -> None:
    """Document error bodies under application/problem+json, the type they are sent as."""
    original = app.openapi

    def openapi() -> dict[str, Any]:
        if app.openapi_schema is None:
            schema = original()
            for path in schema.get("paths", {}).values():
                for operation in path.values():
                    for response in operation.get("responses", {}).values():
                        content = response.get("content", {})
                        ref = content.get("application/json", {}).get("schema", {}).get("$ref", "")
                        if ref.rsplit("/", 1)[-1] in ("Problem", "ValidationProblem"):
                            content[PROBLEM_JSON] = content.pop("application/json")
            app.openapi_schema = schema
        return app.openapi_schema

    app.openapi = openapi  # type: ignore[method-assign]
