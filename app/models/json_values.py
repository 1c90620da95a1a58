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

import json
import re
from collections.abc import Iterator
from datetime import date, time
from decimal import Decimal
from typing import Annotated, Any
from uuid import UUID

from pydantic import BeforeValidator, Field, WithJsonSchema

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


def readable_json(value: Any, level: int = 0) -> Any:
    """A stored value that the JSON serializer failed to write, as it can: a lone
    surrogate (JSON text may escape one) as U+FFFD, bytes as their text, a type it does
    not know (a BSON ObjectId) as its text, nesting past READ_MAX_DEPTH as a note.
    What it writes already (numbers, decimals, times, NaN as null) is left to it."""
    if isinstance(value, str):
        return _SURROGATE.sub("\ufffd", value)
    if value is None or isinstance(value, bool | int | float | Decimal | date | time | UUID):
        return value
    if isinstance(value, dict | list | tuple):
        if level >= READ_MAX_DEPTH:
            return TOO_DEEP
        if isinstance(value, dict):
            return {readable_json(str(key)): readable_json(item, level + 1) for key, item in value.items()}
        return [readable_json(item, level + 1) for item in value]
    if isinstance(value, bytes):
        return value.decode("utf-8", "replace")
    return readable_json(str(value))


class _StoredJson:
    """Marks a read model's field that holds JSON as a database stored it."""


_SCHEMA = {"type": "object", "additionalProperties": True, "description": CONTRACT}


def _checked_first(value: Any) -> Any:
    """The contract, checked before pydantic reads the keys: it fails, not with a
    validation error, on a key holding a lone surrogate."""
    return writable_json(value) if isinstance(value, dict) else value


# What a write takes: checked against the contract above.
JsonObject = Annotated[dict[str, Any], BeforeValidator(_checked_first), Field(description=CONTRACT)]
# What a read returns: whatever the database holds (app/api/encoding.py writes it with
# readable_json when the serializer cannot), documented as the object a write stores.
STORED_JSON = _StoredJson()
StoredJsonObject = Annotated[Any, STORED_JSON, WithJsonSchema(_SCHEMA)]
