"""Ambiguous requests are refused, not guessed: a body that is not declared JSON (415), a
JSON object naming a key twice, a query parameter given twice (422: which one a proxy
checked and which one the service used could differ)."""

from __future__ import annotations

import json
from typing import Any

from fastapi import Request
from fastapi.exceptions import RequestValidationError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.types import Scope

JSON = "application/json"


class _DuplicateKey(ValueError):
    def __init__(self, key: str) -> None:
        super().__init__(key)
        self.key = key


def _no_duplicates(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    found: dict[str, Any] = {}
    for key, value in pairs:
        if key in found:
            raise _DuplicateKey(key)
        found[key] = value
    return found


async def json_body(request: Request) -> None:
    """A dependency of the routes that take a body. It runs after FastAPI has read and
    parsed the body, and before the body is validated."""
    media_type = request.headers.get("content-type", "").partition(";")[0].strip().lower()
    body = await request.body()  # read once already: this is the same cached copy
    if media_type != JSON:
        if not body and not media_type:
            return  # no body at all: the validation says which fields are missing
        shown = f"{media_type!r}" if media_type else "none"
        raise HTTPException(415, f"send the body as Content-Type: {JSON} (got {shown})")
    try:
        json.loads(body, object_pairs_hook=_no_duplicates)
    except _DuplicateKey as duplicate:
        raise _invalid("body", duplicate.key, f"the key {duplicate.key!r} appears more than once") from None
    except (ValueError, RecursionError):  # not JSON, or too deep: FastAPI's own answer stands
        return


def single_query_values(scope: Scope) -> None:
    """For the routes whose query parameters each take one value, checked before FastAPI
    reads the request."""
    if not scope["query_string"]:
        return
    params = QueryParams(scope["query_string"])
    if len(params) == len(params.multi_items()):
        return
    for name in params:
        if len(params.getlist(name)) > 1:
            raise _invalid("query", name, f"the parameter {name!r} is given more than once; give it once")


def _invalid(where: str, name: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": (where, name), "msg": message, "input": None}]
    )
