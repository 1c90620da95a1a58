"""Ambiguous requests are refused, not guessed: a body that is not declared JSON (415), a
JSON object naming a key twice, a query parameter given twice (422: which one a proxy
checked and which one the service used could differ)."""

from __future__ import annotations

import email.message
import json
from typing import Any

from fastapi.exceptions import RequestValidationError
from starlette.datastructures import QueryParams
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect
from starlette.types import Message, Receive, Scope

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


_STRICT = json.JSONDecoder(object_pairs_hook=_no_duplicates)


async def _read(receive: Receive) -> bytes:
    """The whole body, as Starlette's Request.body() reads it."""
    chunks: list[bytes] = []
    while True:
        message = await receive()
        if message["type"] == "http.request":
            chunks.append(message.get("body", b""))
            if not message.get("more_body", False):
                return b"".join(chunks)
        elif message["type"] == "http.disconnect":
            raise ClientDisconnect()


def _header(scope: Scope, name: bytes) -> str:
    """The first value of header `name` (lower case), as Starlette's Headers.get finds it."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for key, value in headers:
        if key == name:
            return value.decode("latin-1")
    return ""


async def json_body(scope: Scope, receive: Receive) -> tuple[Any, Receive, bool]:
    """For the routes that take a body, before FastAPI reads it: reads the body and
    refuses it when it is not declared JSON or names a key twice. Answers the body parsed
    (None when there is none, or it is for the route to read), what the route reads the
    body from, and whether FastAPI will refuse the body itself (unreadable, or declared
    JSON and not JSON) before anything else is looked at."""
    try:
        body = await _read(receive)
    except Exception as error:  # the route meets the same error, and answers as it did
        return None, _failing(error), True
    replay = _replaying(body, receive)
    content_type = _header(scope, b"content-type")
    media_type = content_type.partition(";")[0].strip().lower()
    if media_type != JSON:
        if body and _parsed_as_json(content_type) and not _is_json(body):
            return None, replay, True
        if not body and not media_type:
            return None, replay, False  # no body at all: the validation says which fields are missing
        shown = f"{media_type!r}" if media_type else "none"
        raise HTTPException(415, f"send the body as Content-Type: {JSON} (got {shown})")
    try:
        # As json.loads reads bytes, with a decoder made once.
        parsed = _STRICT.decode(body.decode(json.detect_encoding(body), "surrogatepass"))
    except _DuplicateKey as duplicate:
        raise _invalid("body", duplicate.key, f"the key {duplicate.key!r} appears more than once") from None
    except (ValueError, RecursionError):  # not JSON, or too deep: FastAPI's own answer stands
        return None, replay, bool(body)
    return parsed, replay, False


def _parsed_as_json(content_type: str) -> bool:
    """Whether FastAPI parses a body of this type as JSON (fastapi.routing)."""
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    return message.get_content_maintype() == "application" and (
        subtype == "json" or subtype.endswith("+json")
    )


def _is_json(body: bytes) -> bool:
    try:
        json.loads(body)
    except (ValueError, RecursionError):
        return False
    return True


def _replaying(body: bytes, receive: Receive) -> Receive:
    replayed = False

    async def replay() -> Message:
        nonlocal replayed
        if replayed:
            return await receive()
        replayed = True
        return {"type": "http.request", "body": body, "more_body": False}

    return replay


def _failing(error: Exception) -> Receive:
    async def fail() -> Message:
        raise error

    return fail


_PARSED_QUERY = "multidb.query_params"
_NO_QUERY = QueryParams("")


def query_params(scope: Scope) -> QueryParams:
    """The request's query parameters, parsed once for the check below and the route."""
    if not scope["query_string"]:
        return _NO_QUERY
    params: QueryParams | None = scope.get(_PARSED_QUERY)
    if params is None:
        params = scope[_PARSED_QUERY] = QueryParams(scope["query_string"])
    return params


def single_query_values(scope: Scope) -> None:
    """For the routes whose query parameters each take one value, checked before FastAPI
    reads the request."""
    if not scope["query_string"]:
        return
    params = query_params(scope)
    if len(params) == len(params.multi_items()):
        return
    for name in params:
        if len(params.getlist(name)) > 1:
            raise _invalid("query", name, f"the parameter {name!r} is given more than once; give it once")


def _invalid(where: str, name: str, message: str) -> RequestValidationError:
    return RequestValidationError(
        [{"type": "value_error", "loc": (where, name), "msg": message, "input": None}]
    )
