"""The query parameters of a resource's read routes, as pydantic models FastAPI reads.

Built once per resource by `create_standard_routes`: they say what HTTP accepts (paging
limits, `?sort=`, `?expand=`, `allow_partial` and its X-Partial-Results header), from
the resource's schema facts.
"""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field, create_model, field_validator

from app.models.base import SortKey, field_type, identifier_validators
from app.models.resource import Resource
from app.models.types import INT64_MAX, storable

MAX_LIMIT = 100


def _sort_parser(allowed: tuple[str, ...]) -> Any:
    def parse(value: str | None) -> tuple[SortKey, ...]:
        keys: list[SortKey] = []
        for part in (value or "").split(","):
            name = part.strip()
            if not name:
                continue
            descending = name.startswith("-")
            name = name.removeprefix("-").removeprefix("+")
            if name not in allowed:
                raise ValueError(f"cannot sort by {name!r}; sortable fields: {', '.join(allowed)}")
            if any(key.field == name for key in keys):  # so a sort is never longer than the fields
                raise ValueError(f"sort names {name!r} more than once")
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
        name: (field_type(resource.read.model_fields[name]) | None, None) for name in resource.filterable
    }
    return create_model(
        f"{resource.read.__name__}ListParams",
        __config__=ConfigDict(extra="forbid"),
        __validators__={  # filter values reach the database too
            "storable": field_validator("*")(storable),
            **identifier_validators(tuple(name for name in resource.identifiers if name in filters)),
        },
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
