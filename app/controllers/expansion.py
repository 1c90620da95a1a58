"""Embedding, in rows of one resource, the rows of other resources they refer to.

Each relation's target is read through the target's own controller, as the container
binds it, so its database (replicas, tenants, shards) applies: one batched read per
relation for a whole page, every relation of a request at once.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Iterable, Mapping, Sequence
from uuid import UUID

from app.adapters.interface import Row
from app.controllers.base import BaseController
from app.errors import Unavailable
from app.models.resource import Relation, Resource

ControllerProviders = Mapping[str, Callable[[], BaseController]]


class Expander:
    def __init__(self, controllers: ControllerProviders) -> None:
        self._controllers = controllers  # a fresh controller per call, by resource name

    async def expand(
        self, resource: Resource, rows: Sequence[Row], names: Iterable[str], strict: bool = False
    ) -> tuple[str, ...]:
        """Set each relation named in `names` on every row: the target's row, or None when
        the reference is null, leads nowhere or its database could not answer. Returns the
        relations that could not be loaded; with `strict`, raises Unavailable for them."""
        relations = [resource.relation(name) for name in names]
        loaded = await asyncio.gather(*(self._load(relation, rows) for relation in relations))
        failed = []
        for relation, found in zip(relations, loaded, strict=True):
            if isinstance(found, Unavailable):
                if strict:
                    raise Unavailable(found.database, f"{found.reason}; {relation.name!r} cannot be expanded")
                failed.append(relation.name)
                found = {}
            for row in rows:
                reference = row.get(relation.field)
                row[relation.name] = None if reference is None else found.get(reference)
        return tuple(failed)

    async def _load(self, relation: Relation, rows: Sequence[Row]) -> dict[UUID, Row] | Unavailable:
        ids = {row[relation.field] for row in rows if row.get(relation.field) is not None}
        if not ids:
            return {}
        try:
            return await self._controller(relation.target).get_many(ids)
        except Unavailable as error:
            return error

    def _controller(self, resource: str) -> BaseController:
        provider = self._controllers.get(resource)
        if provider is None:
            raise LookupError(f"no controller of the container serves {resource!r}, which a relation targets")
        return provider()
