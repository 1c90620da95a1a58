"""`?expand=` on the read routes of a resource that declares relations."""

from __future__ import annotations

from collections.abc import MutableMapping, Sequence
from typing import Any

from dependency_injector.wiring import Provide, inject

from app.adapters.interface import Row
from app.controllers.expansion import Expander
from app.models.resource import Resource

EXPAND_FAILED = "X-Expand-Failed"


def expand_failed_header(resource: Resource) -> dict[str, Any]:
    """The OpenAPI description of the header, for the 200 of a resource with relations."""
    if not resource.relations:
        return {}
    description = (
        "The relations asked for in ?expand= that could not be loaded (their database is "
        "unavailable), comma-separated; their fields are null. Absent when all were loaded."
    )
    return {EXPAND_FAILED: {"description": description, "schema": {"type": "string"}}}


async def expand(
    resource: Resource, rows: Sequence[Row], params: Any, headers: MutableMapping[str, str]
) -> None:
    """Embed the relations `params.expand` names (parsed and checked by the resource's
    params model) in `rows`, and name those that could not be loaded in `headers`. The
    expander is asked of the container only then: a read that expands nothing pays
    nothing for it."""
    names = getattr(params, "expand", None)
    if not names:
        return
    failed = await _expanded(resource, rows, names, params.expand_strict)
    if failed:
        headers[EXPAND_FAILED] = ",".join(failed)


@inject
async def _expanded(
    resource: Resource,
    rows: Sequence[Row],
    names: Sequence[str],
    strict: bool,
    expander: Expander = Provide["expander"],
) -> tuple[str, ...]:
    return await expander.expand(resource, rows, names, strict=strict)
