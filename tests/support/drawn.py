"""Values at the edges of each kind of field, drawn by Hypothesis, and what the contract
says a write of each gives back (README, "The HTTP contract"; app/models/json_values.py):
the value as the service stores it, REFUSED for a 422, or ANY when the service picks it
(a default time). The kinds are read from the create model's JSON schema, so a new
resource is drawn for without editing this file. Written from the README, not from the
code under test."""

from __future__ import annotations

import json
import unicodedata
from collections.abc import Callable
from datetime import UTC, datetime, timedelta, timezone
from decimal import Decimal
from itertools import count
from typing import Any
from uuid import UUID

from hypothesis import strategies as st

from app.models.resource import Resource

REFUSED = object()
ANY = object()
INT64 = 2**63
# Text a field may hold: line and paragraph separators, astral, combining, invisible.
EDGY = "\u2028\u2029😀e\u0301é\u200b\t\"\\/<'"
_FLOATS = [0.1, -0.0, 0.0, 5e-324, 2.2250738585072014e-308, 1e308, -1e308, 1.7976931348623157e308, 2e20, 1e16]
_INTS = [-INT64, INT64 - 1, 2**53 + 1, -(2**53) - 1, 0]
_unique = count()

texts = st.text(st.characters(exclude_categories=["Cs"], exclude_characters="\x00") | st.sampled_from(EDGY))
keys = texts.filter(lambda key: not key.startswith("$") and "." not in key)
scalars = (
    st.none()
    | st.booleans()
    | st.integers(-INT64, INT64 - 1)
    | st.sampled_from(_INTS)
    | st.floats(allow_nan=False, allow_infinity=False)
    | st.sampled_from(_FLOATS)
    | texts
)
json_values = st.recursive(
    scalars,
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(keys, inner, max_size=3),
    max_leaves=10,
)


def _nested(levels: int) -> Any:
    value: Any = 1
    for _ in range(levels):
        value = {"n": value}
    return value


# One thing outside the contract, added to an object that is inside it.
_OUTSIDE = [("big", INT64), ("small", -INT64 - 1), ("$op", 1), ("a.b", 1), ("nul", "a\x00b")]
_OUTSIDE += [("lone", "\ud800"), ("\udfff", 1), ("deep", _nested(8))]


json_objects = st.dictionaries(keys, json_values, max_size=4)


@st.composite
def json_objects_outside(draw: st.DrawFn) -> Any:
    value = draw(json_objects)
    if draw(st.integers(0, 5)) == 0:
        return draw(st.sampled_from([[], "text", 1, None]))
    key, bad = draw(st.sampled_from(_OUTSIDE))
    return {**value, key: bad}


def expected_json(value: Any) -> Any:
    if not isinstance(value, dict) or _depth(value) > 8 or not _inside(value):
        return REFUSED
    if len(json.dumps(value, ensure_ascii=False).encode()) > 16_384:
        return REFUSED
    return _zeros_unsigned(value)


def _depth(value: Any) -> int:
    children = value.values() if isinstance(value, dict) else value if isinstance(value, list) else None
    return 0 if children is None else 1 + max(map(_depth, children), default=0)


def _inside(value: Any) -> bool:
    if isinstance(value, dict):
        return all(
            _good_text(k) and not k.startswith("$") and "." not in k and _inside(v) for k, v in value.items()
        )
    if isinstance(value, list):
        return all(map(_inside, value))
    if isinstance(value, str):
        return _good_text(value)
    return not isinstance(value, int) or isinstance(value, bool) or -INT64 <= value < INT64


def _good_key(key: str) -> bool:
    return _good_text(key) and not key.startswith("$") and "." not in key


def _good_text(text: str) -> bool:
    return "\x00" not in text and not any(0xD800 <= ord(c) <= 0xDFFF for c in text)


def _zeros_unsigned(value: Any) -> Any:
    if isinstance(value, dict):
        return {k: _zeros_unsigned(v) for k, v in value.items()}
    if isinstance(value, list):
        return [_zeros_unsigned(v) for v in value]
    return 0.0 if isinstance(value, float) and value == 0 else value


def text_field(low: int, high: int, identifier: bool) -> st.SearchStrategy[str]:
    """Text inside the field's rules; an identifier (a unique field) has no invisible characters."""
    invisible: list[Any] = ["Cf"] if identifier else []
    letters = st.characters(codec="utf-8", exclude_characters="\x00", exclude_categories=invisible)
    edgy = st.sampled_from(EDGY.replace("\u200b", "") if identifier else EDGY)
    full = st.text(edgy, min_size=high, max_size=high)
    return st.text(letters | edgy, min_size=low, max_size=min(high, 20)) | full


def text_field_outside(low: int, high: int) -> st.SearchStrategy[str]:
    raw = st.text(st.characters(codec="utf-8") | st.sampled_from(EDGY + "\x00\ud800"), max_size=high + 2)
    return raw | st.text(st.sampled_from("ab"), min_size=max(high - 1, 0), max_size=high + 1) | st.just("")


def expected_text(value: str, low: int, high: int, identifier: bool) -> Any:
    if not low <= len(value) <= high or not _good_text(value):
        return REFUSED
    if identifier:
        value = unicodedata.normalize("NFC", value)
        if any(unicodedata.category(c) == "Cf" for c in value):
            return REFUSED
    return value


@st.composite
def emails(draw: st.DrawFn, outside: bool = False) -> str:
    local = draw(st.text(st.sampled_from("abcXYZ019_+-"), min_size=1, max_size=12))
    domain = draw(st.sampled_from(["example.com", "Example.COM", "sub.example.org"]))
    return (
        draw(st.sampled_from([f"{local}@", f"{local} x@{domain}", local])) if outside else f"{local}@{domain}"
    )


def expected_email(value: str) -> Any:
    local, at, domain = value.partition("@")
    return value.lower() if at and domain and " " not in local else REFUSED


@st.composite
def times(draw: st.DrawFn, outside: bool = False) -> str:
    moment = draw(st.datetimes(datetime(999, 12, 31), datetime(9999, 12, 31, 23, 59, 59, 999999)))
    if outside and draw(st.booleans()):
        return moment.isoformat()  # no time zone
    if not outside:
        moment = draw(st.datetimes(datetime(1000, 1, 2), datetime(9999, 12, 30)))
    offset = timedelta(minutes=draw(st.integers(-14 * 4, 14 * 4)) * 15)
    return moment.replace(tzinfo=timezone(offset)).isoformat()


def expected_time(value: str) -> Any:
    moment = datetime.fromisoformat(value)
    if moment.tzinfo is None or moment.year < 1000:
        return REFUSED
    try:
        utc = moment.astimezone(UTC)
    except OverflowError:
        return REFUSED
    if not 1000 <= utc.year <= 9999:
        return REFUSED
    return utc.strftime("%Y-%m-%dT%H:%M:%S.") + f"{utc.microsecond // 1000:03d}Z"


@st.composite
def prices(draw: st.DrawFn, outside: bool = False) -> Any:
    cents = draw(st.integers(0, 10**12 - 1) | st.sampled_from([0, 1, 10, 999_999_999_999]))
    if outside:
        cents = draw(st.sampled_from([cents, 10**12]))
    whole, part = divmod(cents, 100)
    forms = [f"{whole}.{part:02d}", f"{whole}.{part:02d}0", f"{cents / 100}"]
    forms += [f"{whole}.{part:02d}5", f"-{whole}.{part:02d}", f"-{whole}"] if outside else ["-0", "-0.00"]
    return draw(st.sampled_from([*forms, cents / 100] if cents < 2**53 else forms))


def expected_price(value: Any) -> Any:
    amount = Decimal(repr(value)) if isinstance(value, float) else Decimal(value)
    if amount < 0 or amount != amount.quantize(Decimal("0.01")) or amount >= 10**10:
        return REFUSED
    return str(abs(amount).quantize(Decimal("0.01")))


counts = st.integers(0, INT64 - 1) | st.sampled_from([0, INT64 - 1])
counts_outside = st.integers(-2, INT64 + 1) | st.sampled_from([INT64, -1, True, 1.0, "1"])


def expected_count(value: Any) -> Any:
    return value if type(value) is int and 0 <= value < INT64 else REFUSED


references = st.none() | st.uuids().map(str) | st.uuids().map(lambda u: str(u).upper())
references_outside = st.sampled_from(["nope", "", "0" * 33])


def expected_reference(value: Any) -> Any:
    if value is None:
        return None
    try:
        return str(UUID(value))
    except ValueError:
        return REFUSED


# How to draw a field's value inside the contract, how to draw one that may be outside
# it, and what a write of a value gives back.
Kind = tuple[st.SearchStrategy[Any], st.SearchStrategy[Any], Callable[[Any], Any]]


def kinds(resource: Resource) -> dict[str, Kind]:
    """Each writable field of `resource`, read from its create model's JSON schema."""
    found: dict[str, Kind] = {}
    for name, field in resource.create.model_json_schema()["properties"].items():
        options = [option.get("format") or option.get("type") for option in field.get("anyOf", [field])]
        if "email" in options:
            found[name] = (emails(), emails(outside=True), expected_email)
        elif "date-time" in options:
            found[name] = (times(), times(outside=True), expected_time)
        elif "uuid" in options:
            found[name] = (references, references_outside, expected_reference)
        elif options == ["number", "string"]:
            found[name] = (prices(), prices(outside=True), expected_price)
        elif options == ["integer"]:
            found[name] = (counts, counts_outside, expected_count)
        elif options == ["object"]:
            found[name] = (json_objects, json_objects_outside(), expected_json)
        elif options == ["string"]:
            low, high, unique = field.get("minLength", 0), field["maxLength"], name in resource.unique
            inside, outside = text_field(low, high, unique), text_field_outside(low, high)
            found[name] = (inside, outside, _text_expectation(low, high, unique))
        else:
            raise ValueError(f"{resource.name}.{name}: no strategy for a field of schema {field}")
    return found


def _text_expectation(low: int, high: int, identifier: bool) -> Callable[[Any], Any]:
    return lambda value: expected_text(value, low, high, identifier)


def unique_prefix() -> str:
    """A prefix that keeps a unique field's drawn value from colliding with an earlier one."""
    return f"u{next(_unique)}-"
