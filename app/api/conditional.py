"""ETags and If-Match: the version of a row, and writes that apply only to it."""

from __future__ import annotations

import re
from typing import Any

_STRONG = re.compile(r'"(\d{1,18})"', re.ASCII)


def etag(row: dict[str, Any]) -> str:
    return f'"{row["version"]}"'


def versions(if_match: str | None) -> frozenset[int] | None:
    """The versions an If-Match header accepts; None when any version will do (no
    header, or `*`). Weak or malformed tags never match, as RFC 9110 requires."""
    if if_match is None or if_match.strip() == "*":
        return None
    tags = (_STRONG.fullmatch(tag.strip()) for tag in if_match.split(","))
    return frozenset(int(tag[1]) for tag in tags if tag)
