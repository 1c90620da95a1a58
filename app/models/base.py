from __future__ import annotations

from typing import Annotated, Any
from uuid import UUID

from pydantic import BaseModel, ConfigDict, Field, create_model, field_validator

from app.models.types import Timestamp, storable


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


def field_type(info: Any) -> Any:
    """A model field's type with its constraints, to declare the same field elsewhere."""
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """`model` with every field optional, for PATCH. An explicit null is still checked
    against the field's type, so it is refused for a field that cannot be null."""
    fields: Any = {
        name: (field_type(info), Field(default=None, description=info.description))
        for name, info in model.model_fields.items()
    }
    return create_model(f"{model.__name__.removesuffix('Create')}Patch", __base__=Writable, **fields)


class SortKey(BaseModel):
    field: str
    descending: bool = False
