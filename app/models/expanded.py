"""The read model of a resource with its relations embedded, as `?expand=` sends it."""

from __future__ import annotations

from typing import Any

from pydantic import BaseModel, Field, create_model

from app.models import RESOURCES
from app.models.resource import Resource


def expanded_read_model(resource: Resource) -> type[BaseModel]:
    """`resource.read` plus one optional field per relation, holding the target's read
    model: present only when expanded, null when the reference leads nowhere."""
    if not resource.relations:
        return resource.read
    embedded: dict[str, Any] = {}
    for relation in resource.relations:
        target = RESOURCES.get(relation.target)
        if target is None:
            known = ", ".join(sorted(RESOURCES))
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
