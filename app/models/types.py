from __future__ import annotations

import math
import re
import unicodedata
from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated, Any

from pydantic import (
    AfterValidator,
    AwareDatetime,
    BeforeValidator,
    EmailStr,
    Field,
    PlainSerializer,
    WithJsonSchema,
)

CENT = Decimal("0.01")
_NUMBER = re.compile(r"[-+]?(\d+\.?\d*|\.\d+)([eE][-+]?\d+)?")
INT64_MIN, INT64_MAX = -(2**63), 2**63 - 1
# The oldest year every backend stores (MySQL's DATETIME starts at 1000).
MIN_YEAR = 1000


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


def iso_ms(value: datetime) -> str:
    """ISO 8601 in UTC with exactly three decimals, as the contract keeps times
    ("2026-11-30T09:15:27.000Z", not "...27Z" nor "...27.000000Z"): of one width, so
    that the text sorts as the time does."""
    if value.tzinfo is not UTC:  # what the adapters read is UTC already
        value = value.astimezone(UTC)
    # isoformat() without timespec= (a keyword to parse, per value) writes 6 decimals, or
    # none when there are no microseconds: cut to 3, and the "+00:00" becomes "Z".
    text = value.isoformat()
    return text[:23] + "Z" if value.microsecond else text[:19] + ".000Z"


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


Timestamp = Annotated[
    AwareDatetime,
    BeforeValidator(rfc3339_text),
    AfterValidator(utc_ms),
    PlainSerializer(iso_ms, return_type=str, when_used="json"),
    WithJsonSchema({"type": "string", "format": "date-time"}, mode="serialization"),
]
Identifier = AfterValidator(identifier)  # in the Annotated of every unique text field
Email = Annotated[EmailStr, Field(max_length=320), Identifier, AfterValidator(str.lower)]
Money = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False),
    # + 0 turns -0 into 0, as SQL databases store it, so that every backend reads it back alike.
    AfterValidator(lambda value: (value + 0).quantize(CENT)),
]
Count = Annotated[int, Field(ge=0, le=INT64_MAX, strict=True)]  # true, 1.0 or "1" is not a count
