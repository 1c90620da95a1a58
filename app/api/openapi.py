"""Additions to the OpenAPI document for what applies to every route, not to one."""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any

from fastapi import FastAPI

from app.api.problems import PROBLEM_JSON, problem_example

Amendment = Callable[[dict[str, Any]], None]


def amend_openapi(app: FastAPI, *amendments: Amendment) -> None:
    """Apply `amendments` to the document once, when it is first built."""
    original = app.openapi
    amended = False

    def openapi() -> dict[str, Any]:
        nonlocal amended
        schema = original()
        if not amended:
            for amend in amendments:
                amend(schema)
            amended = True
        return schema

    app.openapi = openapi  # type: ignore[method-assign]


def problem_response(description: str, status: int | None = None) -> dict[str, Any]:
    """A problem+json response documented as `description`, with an example of its body;
    `status` by default the one whose phrase starts the description ("Not Found: ...")."""
    if status is None:
        phrase = description.split(":", 1)[0]
        status = next(status for status in HTTPStatus if status.phrase == phrase)
    return {
        "description": description,
        "content": {
            PROBLEM_JSON: {
                "schema": {"$ref": "#/components/schemas/Problem"},
                "example": problem_example(status),
            }
        },
    }


def document_body_limit(schema: dict[str, Any]) -> None:
    """Every operation that takes a body may answer 413 (over MAX_BODY_BYTES) and 400
    (JSON nested too deeply for the parser to read)."""
    for operations in schema.get("paths", {}).values():
        for operation in operations.values():
            if "requestBody" in operation:
                responses = operation.setdefault("responses", {})
                responses["400"] = problem_response("Bad Request: the body could not be parsed")
                responses["413"] = problem_response("Content Too Large: the body is over MAX_BODY_BYTES", 413)


def document_links(schema: dict[str, Any]) -> None:
    """OpenAPI links from each create (POST /x, 201) to the operations on the row it made
    (GET, PUT, PATCH, DELETE /x/{id}), so that a client generator or a stateful fuzzer can
    chain them: the new row's id is the response body's `id`."""
    paths = schema.get("paths", {})
    for path, operations in paths.items():
        created = operations.get("post", {}).get("responses", {}).get("201")
        by_id = paths.get(f"{path}/{{id}}", {})
        if created is None or not by_id:
            continue
        created["links"] = {
            operation["operationId"]: {
                "operationId": operation["operationId"],
                "parameters": {"id": "$response.body#/id"},
            }
            for operation in by_id.values()
            if "operationId" in operation
        }
