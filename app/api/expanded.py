"""The read model of a resource with its relations embedded, as `?expand=` sends it."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import BaseModel, Field, create_model

from app.models.resource import Resource


def expanded_read_model(resource: Resource, served: Mapping[str, Resource]) -> type[BaseModel]:
    """`resource.read` plus one optional field per relation, holding the read model of
    its target among the `served` resources (by name): present only when expanded, null
    when the reference leads nowhere."""
    if not resource.relations:
        return resource.read
    embedded: dict[str, Any] = {}
    for relation in resource.relations:
        target = served.get(relation.target)
        if target is None:
            known = ", ".join(sorted(served))
            raise ValueError(
                f"relation {relation.name!r} of {resource.name}: no resource {relation.target!r} ({known})"
            )
        embedded[relation.name] = (
            target.read | None,
            Field(
                default=None,
                description=f"The {target.name} row that {relation.field} refers to, with "
                f"?expand={relation.name}; null when there is none or it could not be loaded.",
            ),
        )
    return create_model(f"{resource.read.__name__}Expanded", __base__=resource.read, **embedded)
