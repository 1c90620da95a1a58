from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from app.models.types import Timestamp, identifier, storable


class Writable(BaseModel):
    """What a client may send: unknown fields, and `id` or the timestamps, are errors."""

    model_config = ConfigDict(extra="forbid")

    _storable = field_validator("*")(storable)


class Record(BaseModel):
    """What every resource reads back as. Storage columns that are not part of the
    resource (its `version`, sent as the ETag) are left out."""

    model_config = ConfigDict(extra="ignore")

    id: UUID
    created_at: Timestamp
    updated_at: Timestamp


# What every record adds to its writable fields, in the examples of the OpenAPI document.
RECORD_EXAMPLE = {
    "id": "0193a5b2-7c4e-7d1a-9f3b-5e2c8a1d4f60",
    "created_at": "2026-11-30T09:15:27.301Z",
    "updated_at": "2026-11-30T09:42:03.118Z",
}


def example(fields: dict[str, Any]) -> ConfigDict:
    """The model config that gives a model's JSON schema this example."""
    return ConfigDict(json_schema_extra={"examples": [fields]})


def examples_of(model: type[BaseModel]) -> list[dict[str, Any]]:
    extra = model.model_config.get("json_schema_extra")
    return list(extra.get("examples", [])) if isinstance(extra, dict) else []  # type: ignore[arg-type]


def field_type(info: Any) -> Any:
    """A model field's type with its constraints, to declare the same field elsewhere."""
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def _identifier_or_none(value: Any) -> Any:
    return identifier(value) if isinstance(value, str) else value


def identifier_validators(names: tuple[str, ...]) -> dict[str, Any]:
    """`__validators__` of a model whose fields `names` are identifiers (types.identifier)."""
    return {"identifiers": field_validator(*names)(_identifier_or_none)} if names else {}


def with_identifiers(model: type[BaseModel], names: tuple[str, ...]) -> type[BaseModel]:
    """`model`, under its own name, with the fields `names` checked as identifiers."""
    validators = identifier_validators(names)
    return create_model(
        model.__name__, __base__=model, __module__=model.__module__, __validators__=validators
    )


def partial_model(model: type[BaseModel], identifiers: tuple[str, ...] = ()) -> type[BaseModel]:
    """`model` with every field optional, for PATCH. An explicit null is still checked
    against the field's type, so it is refused for a field that cannot be null."""
    fields: Any = {
        name: (field_type(info), Field(default=None, description=info.description))
        for name, info in model.model_fields.items()
    }
    patch = create_model(
        f"{model.__name__.removesuffix('Create')}Patch",
        __base__=Writable,
        __validators__=identifier_validators(identifiers),
        **fields,
    )
    for full in examples_of(model)[:1]:  # a patch names the fields it changes: here the last one
        name, value = list(full.items())[-1]
        patch.model_config.update(example({name: value}))
        patch.model_rebuild(force=True)
    return patch


class SortKey(BaseModel):
    field: str
    descending: bool = False
