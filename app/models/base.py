from __future__ import annotations

from typing import TYPE_CHECKING, Annotated, Any
from uuid import UUID

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator

from app.models.types import INT64_MAX, Timestamp, storable

if TYPE_CHECKING:
    from app.models.resource import Resource

MAX_LIMIT = 100


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


def _annotated(info: Any) -> Any:
    return Annotated[(info.annotation, *info.metadata)] if info.metadata else info.annotation


def partial_model(model: type[BaseModel]) -> type[BaseModel]:
    """`model` with every field optional, for PATCH. An explicit null is still checked
    against the field's type, so it is refused for a field that cannot be null."""
    fields: Any = {
        name: (_annotated(info), Field(default=None, description=info.description))
        for name, info in model.model_fields.items()
    }
    patch = create_model(f"{model.__name__.removesuffix('Create')}Patch", __base__=Writable, **fields)
    for full in examples_of(model)[:1]:  # a patch names the fields it changes: here the last one
        name, value = list(full.items())[-1]
        patch.model_config.update(example({name: value}))
        patch.model_rebuild(force=True)
    return patch


class SortKey(BaseModel):
    field: str
    descending: bool = False


def _sort_parser(allowed: tuple[str, ...]) -> Any:
    def parse(value: str | None) -> tuple[SortKey, ...]:
        keys = []
        for part in (value or "").split(","):
            name = part.strip()
            if not name:
                continue
            descending = name.startswith("-")
            name = name.removeprefix("-").removeprefix("+")
            if name not in allowed:
                raise ValueError(f"cannot sort by {name!r}; sortable fields: {', '.join(allowed)}")
            keys.append(SortKey(field=name, descending=descending))
        return tuple(keys)

    return parse


def _expand_parser(allowed: tuple[str, ...]) -> Any:
    def parse(value: str | None) -> tuple[str, ...]:
        names = [name for name in (part.strip() for part in (value or "").split(",")) if name]
        for name in names:
            if name not in allowed:
                raise ValueError(f"cannot expand {name!r}; relations: {', '.join(allowed)}")
        return tuple(dict.fromkeys(names))

    return parse


def _expand_fields(resource: Resource) -> dict[str, Any]:
    """`expand` and `expand_strict`, for a resource that declares relations."""
    if not resource.relations:
        return {}
    allowed = tuple(relation.name for relation in resource.relations)
    return {
        "expand": (
            Annotated[str | None, AfterValidator(_expand_parser(allowed))],
            Field(
                default=None,
                description=f"Comma-separated relations to embed: {', '.join(allowed)}.",
            ),
        ),
        "expand_strict": (
            bool,
            Field(
                default=False,
                description="Answer 503 when a relation cannot be loaded, instead of null "
                "and its name in X-Expand-Failed.",
            ),
        ),
    }


def expand_params_model(resource: Resource) -> type[BaseModel]:
    """The query parameters of `GET /{resource}/{id}`: what to expand, for a resource
    with relations (other parameters are refused, so a mistyped one is not ignored)."""
    return create_model(
        f"{resource.read.__name__}ExpandParams",
        __config__=ConfigDict(extra="forbid" if resource.relations else "ignore"),
        **_expand_fields(resource),
    )


def list_params_model(resource: Resource) -> type[BaseModel]:
    """The query parameters of `GET /{resource}`: paging, sort and equality filters.
    Unknown parameters are refused, so a mistyped filter cannot return everything."""
    filters: Any = {
        name: (_annotated(resource.read.model_fields[name]) | None, None) for name in resource.filterable
    }
    return create_model(
        f"{resource.read.__name__}ListParams",
        __config__=ConfigDict(extra="forbid"),
        __validators__={"storable": field_validator("*")(storable)},  # filter values reach the database too
        limit=(int, Field(default=20, ge=1, le=MAX_LIMIT)),
        offset=(int, Field(default=0, ge=0, le=INT64_MAX)),
        sort=(
            Annotated[str | None, AfterValidator(_sort_parser(resource.sortable))],
            Field(
                default=None,
                description="Comma-separated fields, '-' for descending; default oldest first.",
            ),
        ),
        allow_partial=(
            bool,
            Field(
                default=False,
                description=(
                    "On a sharded database, answer with the rows of the shards that are up when "
                    "some are down, naming the missing ones in X-Partial-Results; else 503."
                ),
            ),
        ),
        **filters,
        **_expand_fields(resource),
    )
