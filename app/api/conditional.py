"""ETags and conditional requests: the version of a row, writes that apply only to it
(If-Match), reads that answer 304 when the client has it (If-None-Match)."""

from __future__ import annotations

import re
from typing import Any

from fastapi import Request, Response
from starlette.exceptions import HTTPException
from starlette.types import Scope

# A version as etag() writes it, and only so: "0004" is not version 4.
_STRONG = re.compile(r'"(0|[1-9][0-9]{0,17})"', re.ASCII)


def _header(name: str, description: str) -> dict[str, Any]:
    """An optional header as an OpenAPI parameter, as FastAPI writes a `Header()`."""
    schema = {"anyOf": [{"type": "string"}, {"type": "null"}], "description": description, "title": name}
    return {
        "name": name.lower(),
        "in": "header",
        "required": False,
        "description": description,
        "schema": schema,
    }


# The routes read these headers themselves (as a FastAPI dependency each would be solved
# per request: bench/README.md); these document them.
IF_MATCH = _header("If-Match", "Apply the change only if the resource's ETag is one of these; else 412.")
IF_NONE_MATCH = _header(
    "If-None-Match", "Answer 304 Not Modified, without the body, when the ETag is one of these."
)
UNMODIFIED_SINCE = b"if-unmodified-since"


def etag(row: dict[str, Any]) -> str:
    return f'"{row["version"]}"'


def set_etag(response: Response, row: dict[str, Any]) -> dict[str, Any]:
    response.headers["ETag"] = etag(row)
    return row


def refuse_unmodified_since(scope: Scope) -> None:
    # A date with a one-second resolution cannot tell two writes apart; the ETag can.
    if any(name == UNMODIFIED_SINCE for name, _ in scope["headers"]):
        raise HTTPException(400, "If-Unmodified-Since is not supported: send If-Match with the ETag")


def if_match_versions(request: Request) -> frozenset[int] | None:
    """The versions every If-Match header of the request accepts together (several
    headers are one list, RFC 9110), or None when any version will do."""
    values = request.headers.getlist("if-match")
    return versions(", ".join(values) if values else None)


def if_none_match_tags(request: Request) -> frozenset[str] | None:
    """The entity tags of every If-None-Match header, compared weakly (W/ ignored), or
    None when there is none."""
    values = request.headers.getlist("if-none-match")
    if not values:
        return None
    return frozenset(tag.strip().removeprefix("W/") for value in values for tag in value.split(","))


def not_modified(tags: frozenset[str] | None, row: dict[str, Any]) -> Response | None:
    """304 with the ETag when the client's copy is current, else None."""
    if tags is None or not ({etag(row), "*"} & tags):
        return None
    return Response(status_code=304, headers={"ETag": etag(row)})


def versions(if_match: str | None) -> frozenset[int] | None:
    """The versions an If-Match header accepts; None when any version will do (no
    header, or `*`). Weak or malformed tags never match, as RFC 9110 requires."""
    if if_match is None or if_match.strip() == "*":
        return None
    tags = (_STRONG.fullmatch(tag.strip()) for tag in if_match.split(","))
    return frozenset(int(tag[1]) for tag in tags if tag)
