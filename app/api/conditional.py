"""ETags and conditional requests: the version of a row, writes that apply only to it
(If-Match), reads that answer 304 when the client has it (If-None-Match)."""

from __future__ import annotations

import re
from typing import Annotated, Any

from fastapi import Header, Request, Response
from starlette.exceptions import HTTPException

# A version as etag() writes it, and only so: "0004" is not version 4.
_STRONG = re.compile(r'"(0|[1-9][0-9]{0,17})"', re.ASCII)

IfMatch = Annotated[
    str | None,
    Header(description="Apply the change only if the resource's ETag is one of these; else 412."),
]
IfNoneMatch = Annotated[
    str | None,
    Header(description="Answer 304 Not Modified, without the body, when the ETag is one of these."),
]
IfUnmodifiedSince = Annotated[
    str | None,
    Header(description="Not supported: refused with 400; use If-Match.", include_in_schema=False),
]


def etag(row: dict[str, Any]) -> str:
    return f'"{row["version"]}"'


def set_etag(response: Response, row: dict[str, Any]) -> dict[str, Any]:
    response.headers["ETag"] = etag(row)
    return row


def refuse_unmodified_since(value: str | None) -> None:
    # A date with a one-second resolution cannot tell two writes apart; the ETag can.
    if value is not None:
        raise HTTPException(400, "If-Unmodified-Since is not supported: send If-Match with the ETag")


async def if_match_versions(
    request: Request, if_match: IfMatch = None, if_unmodified_since: IfUnmodifiedSince = None
) -> frozenset[int] | None:
    """The versions every If-Match header of the request accepts together (several
    headers are one list, RFC 9110), or None when any version will do."""
    refuse_unmodified_since(if_unmodified_since)
    values = request.headers.getlist("if-match")
    return versions(", ".join(values) if values else None)


async def if_none_match_tags(
    request: Request, if_none_match: IfNoneMatch = None, if_unmodified_since: IfUnmodifiedSince = None
) -> frozenset[str] | None:
    """The entity tags of every If-None-Match header, compared weakly (W/ ignored), or
    None when there is none."""
    refuse_unmodified_since(if_unmodified_since)
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
