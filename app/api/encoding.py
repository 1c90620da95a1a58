"""Rows become response bodies once: the response model's own serializer, run on the row.

FastAPI would validate the row a route returns into its response model, then serialize
that model. The adapter built the row from what the service stored through the same
models, so the validation only repeats work (a page of 20 rows: 20 models built and
checked). Here the model's compiled serializer, built once per model, writes the row's
fields in the model's order and formats, so the bytes are those FastAPI would send
(tests/contract/test_encoding.py checks it on every backend), and the response model
stays what the OpenAPI document says.
"""

from __future__ import annotations

import typing
from collections.abc import Mapping, Sequence
from typing import Any

from pydantic import BaseModel
from pydantic_core import PydanticSerializationError, SchemaSerializer
from starlette.responses import Response

from app.models.json_values import STORED_JSON, readable_json

Row = Mapping[str, Any]


class JSONBody(Response):
    """A JSON answer with a body (200, 201), its headers written in one pass: the given
    ones, then Content-Length and Content-Type, as Starlette's `init_headers` orders them."""

    media_type = "application/json"

    def init_headers(self, headers: Mapping[str, str] | None = None) -> None:
        given = (headers or {}).items()
        raw = [(name.lower().encode("latin-1"), value.encode("latin-1")) for name, value in given]
        raw += [(b"content-length", str(len(self.body)).encode()), (b"content-type", b"application/json")]
        self.raw_headers = raw


class Encoder:
    """JSON bytes for rows (as dicts) of `model`, and for pages of them.

    A field the row lacks is left out, as `response_model_exclude_unset` leaves out a
    relation that was not expanded; every stored column is in every row."""

    def __init__(self, model: type[BaseModel]) -> None:
        schema = _fields_on_dicts(model.__pydantic_core_schema__)
        self._one = SchemaSerializer(schema)
        self._page = SchemaSerializer(
            {
                "type": "typed-dict",
                "fields": {
                    "items": {"type": "typed-dict-field", "schema": {"type": "list", "items_schema": schema}},
                    "total": {"type": "typed-dict-field", "schema": {"type": "int"}},
                    "limit": {"type": "typed-dict-field", "schema": {"type": "int"}},
                    "offset": {"type": "typed-dict-field", "schema": {"type": "int"}},
                },
            }
        )
        self._names = tuple(model.model_fields)
        self._stored = tuple(
            name for name, info in model.model_fields.items() if STORED_JSON in info.metadata
        )
        self._nested = {
            name: Encoder(nested) for name, nested in _nested_models(model).items() if nested is not model
        }

    def one(self, row: Row) -> bytes:
        ordered = self.ordered(row)
        try:
            body: bytes = self._one.to_json(ordered)
        except PydanticSerializationError:  # stored JSON it cannot write: see `readable`
            body = self._one.to_json(self.readable(ordered))
        return body

    def page(self, rows: Sequence[Row], total: int, limit: int, offset: int) -> bytes:
        items = [self.ordered(row) for row in rows]
        try:
            body: bytes = self._page.to_json(
                {"items": items, "total": total, "limit": limit, "offset": offset}
            )
        except PydanticSerializationError:
            items = [self.readable(item) for item in items]
            body = self._page.to_json({"items": items, "total": total, "limit": limit, "offset": offset})
        return body

    def readable(self, row: dict[str, Any]) -> dict[str, Any]:
        """`row` with its stored JSON made writable (app/models/json_values.py): a value
        another tool stored can hold what the serializer fails on, and a read never fails
        on what a database holds. Only then, so that every other read stays in the
        serializer's compiled code."""
        fixed = {**row, **{name: readable_json(row[name]) for name in self._stored if name in row}}
        for name, nested in self._nested.items():
            if fixed.get(name) is not None:
                fixed[name] = nested.readable(fixed[name])
        return fixed

    def ordered(self, row: Row) -> dict[str, Any]:
        """The row's fields of the model, in the model's order (the serializer keeps the
        dict's order; a model keeps its fields')."""
        if not self._nested:
            return {name: row[name] for name in self._names if name in row}
        ordered = {}
        for name in self._names:
            if name in row:
                value = row[name]
                nested = self._nested.get(name)
                ordered[name] = value if nested is None or value is None else nested.ordered(value)
        return ordered


def _fields_on_dicts(schema: Any) -> Any:
    """`schema` with every model replaced by a typed dict of the same fields, each with
    its own serializer: what the model's serializer writes of the model's `__dict__`."""
    if isinstance(schema, list):
        return [_fields_on_dicts(item) for item in schema]
    if not isinstance(schema, dict):
        return schema
    if schema.get("type") == "model":
        if schema.get("root_model") or "serialization" in schema or schema["schema"].get("computed_fields"):
            raise TypeError(f"{schema['cls'].__name__}: only plain fields are encoded from rows")
        fields = {
            name: {"type": "typed-dict-field", "schema": _fields_on_dicts(field["schema"])}
            for name, field in schema["schema"]["fields"].items()
            if not field.get("serialization_exclude")
        }
        typed: dict[str, Any] = {"type": "typed-dict", "fields": fields}
        return {**typed, "ref": schema["ref"]} if "ref" in schema else typed
    return {key: _fields_on_dicts(value) for key, value in schema.items()}


def _nested_models(model: type[BaseModel]) -> dict[str, type[BaseModel]]:
    """The fields of `model` that hold another model (or None)."""
    found = {}
    for name, info in model.model_fields.items():
        for candidate in (info.annotation, *typing.get_args(info.annotation)):
            if isinstance(candidate, type) and issubclass(candidate, BaseModel):
                found[name] = candidate
    return found
