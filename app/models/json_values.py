"""Free-form JSON fields (an event's `properties`, and any JSON field to come): what a
write accepts, so that every backend gives back the same value, and how a read returns
whatever a database holds, so that no stored row fails a read.

Written: an object, at most JSON_MAX_DEPTH levels and JSON_MAX_BYTES; numbers are
integers within 64 bits or finite doubles (BSON has no larger integer, and every
backend keeps both exactly); strings and keys are any Unicode scalar values but NUL
(which PostgreSQL cannot store); no key starts with `$` or holds a `.` (a MongoDB
operator or path). `-0.0` is stored as `0.0`: PostgreSQL's jsonb keeps numbers as
decimals, which have no signed zero, so this is the one way every backend agrees.
"""

from __future__ import annotations

import base64
import json
import math
import re
from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any

from pydantic import BeforeValidator, Field, PlainSerializer, WithJsonSchema

from app.models.types import storable

# Deep enough for real analytics payloads, shallow and small enough that no backend's
# limit is near (MariaDB's JSON nests 32 levels, BSON 100, a MongoDB document 16 MiB).
JSON_MAX_DEPTH = 8
JSON_MAX_BYTES = 16_384
# Deeper than this, a stored value (written by another tool) is not returned: the JSON
# serializer stops at 255 levels.
READ_MAX_DEPTH = 128
TOO_DEEP = f"(nested deeper than {READ_MAX_DEPTH} levels: not returned)"
_SURROGATE = re.compile("[\ud800-\udfff]")

CONTRACT = (
    f"A JSON object, at most {JSON_MAX_DEPTH} levels deep and {JSON_MAX_BYTES} bytes. Numbers: "
    "integers from -2^63 to 2^63-1 and finite doubles (subnormals included), read back with the "
    "same value though not always the same spelling (2e20 may come back as 200000000000000000000); "
    "-0.0 is stored as 0.0. Strings and keys: any Unicode but NUL (U+0000); keys may be empty but "
    "cannot start with '$' or contain '.'. The order of keys is not kept. Anything else is a 422 "
    "naming the field, and nothing is stored."
)


def _walk(value: Any, path: str = "") -> Iterator[tuple[Any, Any, str]]:
    """(container, key, path) of every item below `value`, iteratively."""
    stack = [(value, path)]
    while stack:
        item, where = stack.pop()
        pairs = item.items() if isinstance(item, dict) else enumerate(item) if isinstance(item, list) else ()
        for key, child in pairs:
            at = f"{where}[{key}]" if isinstance(item, list) else f"{where}.{key}" if where else str(key)
            yield item, key, at
            stack.append((child, at))


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


def _shown(path: str) -> str:
    """`path` as an error message can hold it: a lone surrogate as its escape."""
    return path.encode("utf-8", "backslashreplace").decode()


def writable_json(value: dict[str, Any]) -> dict[str, Any]:
    """`value` if every backend stores it and gives it back unchanged, else a ValueError
    that says where in it the fault is."""
    if _deeper_than(value, JSON_MAX_DEPTH):
        raise ValueError(f"nested deeper than {JSON_MAX_DEPTH} levels")
    zeros = []
    for container, key, at in _walk(value):
        child = container[key]
        try:
            storable(key)
            if not isinstance(child, dict | list):
                storable(child)
        except ValueError as error:
            raise ValueError(f"at {_shown(at)}: {error}") from None
        if isinstance(container, dict) and (key.startswith("$") or "." in key):
            raise ValueError(f"at {_shown(at)}: keys cannot start with '$' or contain '.'")
        if type(child) is float and child == 0:
            zeros.append((container, key))
    for container, key in zeros:
        container[key] = 0.0
    if len(json.dumps(value, ensure_ascii=False).encode()) > JSON_MAX_BYTES:
        raise ValueError(f"larger than {JSON_MAX_BYTES} bytes as JSON")
    return value


def readable_json(value: Any) -> Any:
    """A stored JSON value as faithfully as JSON allows, whatever wrote it, so that a read
    never fails on what a database holds. Untouched when it is plain JSON (the values
    the write contract lets in always are)."""
    return value if _plain(value) else _readable(value, 0)


def _plain(value: Any) -> bool:
    stack = [(value, 0)]
    while stack:
        item, level = stack.pop()
        kind = type(item)
        if kind is str:
            if not item.isascii() and _SURROGATE.search(item):
                return False
        elif kind is dict:
            if level >= READ_MAX_DEPTH:
                return False
            for key, child in item.items():
                if type(key) is not str or (not key.isascii() and _SURROGATE.search(key)):
                    return False
                stack.append((child, level + 1))
        elif kind is list:
            if level >= READ_MAX_DEPTH:
                return False
            stack.extend((child, level + 1) for child in item)
        elif kind is float:
            if not math.isfinite(item):
                return False
        elif item is not None and kind is not int and kind is not bool:
            return False
    return True


def _readable(value: Any, level: int) -> Any:
    """Lone surrogates (JSON text may escape them) become U+FFFD, NaN and infinities
    null, decimals numbers, bytes base64, times ISO 8601, other types (a BSON ObjectId)
    their text."""
    if value is None or isinstance(value, bool | int):
        return value
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if isinstance(value, Decimal) and value.is_finite() and value == value.to_integral_value():
        return int(value)  # exact, as JSON can write it
    if isinstance(value, float | Decimal):
        number = float(value)
        return number if math.isfinite(number) else None
    if isinstance(value, dict | list | tuple):
        if level >= READ_MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            return {_readable(str(key), 0): _readable(child, level + 1) for key, child in value.items()}
        return [_readable(child, level + 1) for child in value]
    if isinstance(value, bytes):
        return base64.b64encode(value).decode()
    if isinstance(value, date | time):
        return value.isoformat()
    return _readable(str(value), 0)


_SCHEMA = {"type": "object", "additionalProperties": True, "description": CONTRACT}


def _checked_first(value: Any) -> Any:
    """The contract, checked before pydantic reads the keys: it fails, not with a
    validation error, on a key holding a lone surrogate."""
    return writable_json(value) if isinstance(value, dict) else value


# What a write takes: checked against the contract above.
JsonObject = Annotated[dict[str, Any], BeforeValidator(_checked_first), Field(description=CONTRACT)]
# What a read returns: any stored value, as JSON can carry it.
StoredJsonObject = Annotated[
    dict[str, Any],
    PlainSerializer(readable_json, return_type=Any),
    WithJsonSchema(_SCHEMA, mode="serialization"),
]
