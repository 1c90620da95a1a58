from __future__ import annotations

import json
import math
import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import AfterValidator, AwareDatetime, BeforeValidator, EmailStr, Field

CENT = Decimal("0.01")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The oldest year every backend stores (MySQL's DATETIME starts at 1000).
MIN_YEAR = 1000
# An event's `properties`: deep enough for real analytics payloads, shallow and small
# enough that no backend's JSON nesting limit or row size is ever reached.
PROPERTIES_MAX_DEPTH = 8
PROPERTIES_MAX_BYTES = 16_384


def utc_ms(value: datetime) -> datetime:
    """UTC, truncated to the millisecond: the precision every backend can keep."""
    try:
        value = value.astimezone(UTC)
    except OverflowError:  # year 9999 at +14:00, or year 1 at -12:00
        raise ValueError("the time is outside the years 1000 to 9999 in UTC") from None
    if value.year < MIN_YEAR:
        raise ValueError("the time is outside the years 1000 to 9999 in UTC")
    return value.replace(microsecond=value.microsecond // 1000 * 1000)


def rfc3339_text(value: Any) -> Any:
    """A time in a request is RFC 3339 text, as documented; a number (seconds since 1970?
    milliseconds?) is refused rather than guessed."""
    if isinstance(value, int | float) or (isinstance(value, str) and _NUMBER.fullmatch(value.strip())):
        raise ValueError("a time is written as RFC 3339 text, such as 2026-11-30T09:15:26Z, not a number")
    return value


def now() -> datetime:
    return utc_ms(datetime.now(UTC))


def storable(value: Any) -> Any:
    """Refuse what some database cannot keep, so that every backend answers the same
    422 instead of one of them failing: NUL characters (PostgreSQL), lone surrogates
    (not UTF-8 at all), integers past 64 bits (BSON, BIGINT) and NaN or Infinity
    (JSON). Containers are checked item by item."""
    if isinstance(value, str):
        if "\x00" in value:
            raise ValueError("text cannot contain NUL (\\u0000) characters")
        try:
            value.encode("utf-8")
        except UnicodeEncodeError:
            raise ValueError("text must be valid Unicode (no lone surrogates)") from None
    elif isinstance(value, bool):
        pass
    elif isinstance(value, int):
        if not INT64_MIN <= value <= INT64_MAX:
            raise ValueError("integers must fit in 64 bits")
    elif isinstance(value, float):
        if not math.isfinite(value):
            raise ValueError("numbers must be finite (no NaN or Infinity)")
    elif isinstance(value, dict):
        for key, item in value.items():
            storable(key)
            storable(item)
    elif isinstance(value, list | tuple):
        for item in value:
            storable(item)
    return value


def _deeper_than(value: Any, limit: int) -> bool:
    """Whether containers nest more than `limit` levels. Iterative, and it stops at the
    limit: the JSON parser accepts hundreds of levels, more than recursion here could."""
    stack = [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict | list):
            if level > limit:
                return True
            stack.extend((child, level + 1) for child in (item.values() if isinstance(item, dict) else item))
    return False


def _field_names(value: Any) -> list[str]:
    if isinstance(value, dict):
        return [*value, *(name for item in value.values() for name in _field_names(item))]
    if isinstance(value, list):
        return [name for item in value for name in _field_names(item)]
    return []


def bounded_json(value: dict[str, Any]) -> dict[str, Any]:
    """A free-form object every backend stores and queries alike: bounded in depth and
    size, and with no key that MongoDB would read as an operator (`$...`) or a path
    (`a.b`), so a key can never change what a query matches."""
    if _deeper_than(value, PROPERTIES_MAX_DEPTH):
        raise ValueError(f"nested deeper than {PROPERTIES_MAX_DEPTH} levels")
    storable(value)
    if len(json.dumps(value, ensure_ascii=False).encode()) > PROPERTIES_MAX_BYTES:
        raise ValueError(f"larger than {PROPERTIES_MAX_BYTES} bytes as JSON")
    for name in _field_names(value):
        if name.startswith("$") or "." in name:
            raise ValueError(f"keys cannot start with '$' or contain '.' (got {name[:40]!r})")
    return value


def faithful_json(value: dict[str, Any]) -> dict[str, Any]:
    """A stored JSON object as faithfully as JSON allows, whatever wrote it: PostgreSQL's
    jsonb keeps numbers as decimals and gives a large double back as an integer literal
    (5.456916326819589e+138 as 139 digits), which is read here as the double it was. A
    read never refuses what a database holds."""
    stack: list[Any] = [value]
    while stack:
        item = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in list(pairs):
            if isinstance(child, int) and not isinstance(child, bool) and not INT64_MIN <= child <= INT64_MAX:
                item[key] = float(child)
            elif isinstance(child, dict | list):
                stack.append(child)
    return value


def identifier(value: str) -> str:
    """Text that identifies a row (a unique field): Unicode NFC, so that one name has one
    spelling, and no invisible format character (zero-width, bidi controls), so that a
    look-alike cannot pass a uniqueness check or hide in a listing."""
    value = unicodedata.normalize("NFC", value)
    for char in value:
        if unicodedata.category(char) == "Cf":
            raise ValueError(
                f"invisible formatting characters are not allowed (found U+{ord(char):04X}: "
                "zero-width and bidi controls cannot tell two values apart)"
            )
    return value


Timestamp = Annotated[AwareDatetime, BeforeValidator(rfc3339_text), AfterValidator(utc_ms)]
Identifier = AfterValidator(identifier)  # in the Annotated of every unique text field
Email = Annotated[EmailStr, Field(max_length=320), Identifier, AfterValidator(str.lower)]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False),
    # + 0 turns -0 into 0, as SQL databases store it, so that every backend reads it back alike.
    AfterValidator(lambda value: (value + 0).quantize(CENT)),
]
Count = Annotated[int, Field(ge=0, le=INT64_MAX, strict=True)]  # true, 1.0 or "1" is not a count
Properties = Annotated[
    dict[str, Any],
    AfterValidator(bounded_json),
    Field(
        description=f"A JSON object, at most {PROPERTIES_MAX_DEPTH} levels deep and "
        f"{PROPERTIES_MAX_BYTES} bytes; keys cannot start with '$' or contain '.'."
    ),
]
# What a read returns: any stored object, numbers beyond 64-bit integers as the doubles they are.
StoredProperties = Annotated[dict[str, Any], AfterValidator(faithful_json)]
