"""A named database sharded over other named databases (SHARDS__<name>=a,b,c).

Each row lives on the shard that owns its shard key (hashing.py). What can know the
shard asks that shard alone: insert, and get, update and delete by id when the shard
key is the id. A list fans out to every shard at once and merges the pages (merge.py),
unless it filters on the shard key. See README "Sharding" for the guarantees.
"""

from __future__ import annotations

import asyncio
from collections import defaultdict
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import suppress
from dataclasses import replace
from typing import ClassVar, TypeVar
from uuid import UUID

from app.adapters.composite import CompositeAdapter
from app.adapters.interface import ListQuery, Page, Row, Store
from app.adapters.sharding.hashing import canonical, owner
from app.adapters.sharding.merge import check_window, merged
from app.adapters.sharding.moves import move
from app.errors import Invalid, NotFound, Unavailable
from app.models.resource import Resource

T = TypeVar("T")


class ShardedAdapter(CompositeAdapter):
    db_type: ClassVar[str] = "sharded"

    def owner_of(self, resource: Resource, row: Row) -> str:
        """The shard that owns `row`. A row whose shard key is null is placed by its id."""
        value = row.get(resource.shard_key)
        return owner(canonical(row["id"] if value is None else value), self.members)

    # Not Transactional: a unit of work cannot span databases, so each write commits
    # on the shard it reaches, in that shard's own transaction.
    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        return await work()

    async def insert(self, resource: Resource, row: Row) -> Row:
        return await self.members[self.owner_of(resource, row)].insert(resource, row)

    async def get(self, resource: Resource, id: UUID) -> Row:
        _, row = await self._locate(resource, id)
        return row

    async def get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        """One query per shard, all at once; ids their owner does not have (rows a
        rebalance has not moved yet) are looked for on the other shards, again one
        query per shard."""
        if not ids:
            return {}
        if not self._keyed_by_id(resource):
            return await self._get_many_on(resource, {name: list(ids) for name in self.members})
        groups: dict[str, set[UUID]] = defaultdict(set)
        for id in ids:
            groups[self._owner_of_id(id)].add(id)
        found = await self._get_many_on(resource, groups)
        missing = [id for id in ids if id not in found]
        if missing:
            found |= await self._get_many_on(resource, {name: missing for name in self.members})
        return found

    async def update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None = None
    ) -> Row:
        """On the owner; a row still on its old shard is moved there first."""
        if self._keyed_by_id(resource):
            target = self._owner_of_id(id)
            try:
                return await self.members[target].update(resource, id, changes, if_version)
            except NotFound:
                pass
            try:
                shard, row = await self._search(resource, id, self._others(target))
            except NotFound:  # moved onto its owner meanwhile, or on no shard at all
                return await self.members[target].update(resource, id, changes, if_version)
        else:
            shard, row = await self._locate(resource, id)
            target = self.owner_of(resource, row)
            key = resource.shard_key
            if key in changes and changes[key] != row[key]:
                raise Invalid(
                    f"{key} is the shard key of {resource.name} and cannot change; "
                    "create a new one and delete this one instead"
                )
        if shard != target:
            await move(resource, row, self.members[shard], self.members[target])
        return await self.members[target].update(resource, id, changes, if_version)

    async def delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None = None) -> None:
        """Where the row is; then any copy a rebalance cut short left on another shard
        is removed too, so that a rerun cannot bring the row back."""
        if self._keyed_by_id(resource):
            target = self._owner_of_id(id)
            try:
                await self.members[target].delete(resource, id, if_version)
                shard = target
            except NotFound:
                shard = await self._delete_elsewhere(resource, id, if_version, target)
        else:
            shard, _ = await self._locate(resource, id)
            await self.members[shard].delete(resource, id, if_version)
        await asyncio.gather(
            *(self._delete_copy(self.members[name], resource, id) for name in self._others(shard))
        )

    async def list(self, resource: Resource, query: ListQuery) -> Page:
        key = query.filters.get(resource.shard_key)
        if key is not None:
            return await self.members[owner(canonical(key), self.members)].list(resource, query)
        check_window(query.offset, query.limit)
        # Each shard's first offset+limit rows hold the merged page's rows.
        window = replace(query, offset=0, limit=query.offset + query.limit, allow_partial=False)
        names = list(self.members)
        answers = await asyncio.gather(
            *(self.members[name].list(resource, window) for name in names), return_exceptions=True
        )
        pages = [answer for answer in answers if isinstance(answer, Page)]
        failures = [answer for answer in answers if isinstance(answer, BaseException)]
        for failure in failures:
            if not isinstance(failure, Unavailable):
                raise failure
        missing = tuple(
            name for name, answer in zip(names, answers, strict=True) if not isinstance(answer, Page)
        )
        if failures and not (query.allow_partial and pages):
            raise failures[0]
        return replace(merged(pages, query.sort, query.offset, query.limit), missing=missing)

    async def _delete_elsewhere(
        self, resource: Resource, id: UUID, if_version: Collection[int] | None, target: str
    ) -> str:
        """Delete a row its owner `target` does not have: on the shard that has it, or on
        the owner after all when a move took it there meanwhile (a move holds the row on
        its old shard until the copy is in, so this delete waits for it, then finds the
        row gone). The shard it was deleted on."""
        try:
            shard, _ = await self._search(resource, id, self._others(target))
            await self.members[shard].delete(resource, id, if_version)
            return shard
        except NotFound:
            await self.members[target].delete(resource, id, if_version)
            return target

    def _keyed_by_id(self, resource: Resource) -> bool:
        return resource.shard_key == "id"

    def _owner_of_id(self, id: UUID) -> str:
        return owner(canonical(id), self.members)

    def _others(self, name: str) -> Sequence[str]:
        return [other for other in self.members if other != name]

    async def _locate(self, resource: Resource, id: UUID) -> tuple[str, Row]:
        """The shard that holds the row with this id, and the row: its owner when the
        id is the shard key (then the other shards, for a row not moved yet), else
        every shard at once."""
        if not self._keyed_by_id(resource):
            return await self._search(resource, id, list(self.members))
        shard = self._owner_of_id(id)
        try:
            return shard, await self.members[shard].get(resource, id)
        except NotFound:
            pass
        try:
            return await self._search(resource, id, self._others(shard))
        except NotFound:  # moved onto its owner between the two looks, or on no shard
            return shard, await self.members[shard].get(resource, id)

    async def _search(self, resource: Resource, id: UUID, names: Sequence[str]) -> tuple[str, Row]:
        """The row on any of `names`, asked at once; a copy on its owner first. NotFound
        only if every one answered that it has none."""
        answers = await asyncio.gather(
            *(self.members[name].get(resource, id) for name in names), return_exceptions=True
        )
        found = [
            (name, answer) for name, answer in zip(names, answers, strict=True) if isinstance(answer, dict)
        ]
        if found:
            return min(found, key=lambda pair: pair[0] != self.owner_of(resource, pair[1]))
        for answer in answers:
            if isinstance(answer, BaseException) and not isinstance(answer, NotFound):
                raise answer
        raise NotFound(f"no {resource.name} with id {id}")

    async def _get_many_on(
        self, resource: Resource, groups: Mapping[str, Collection[UUID]]
    ) -> dict[UUID, Row]:
        names = list(groups)
        answers = await asyncio.gather(
            *(self.members[name].get_many(resource, groups[name]) for name in names)
        )
        found: dict[UUID, Row] = {}
        for answer in answers:
            found |= answer
        return found

    @staticmethod
    async def _delete_copy(member: Store, resource: Resource, id: UUID) -> None:
        with suppress(NotFound):
            await member.delete(resource, id)
