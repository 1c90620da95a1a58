from __future__ import annotations

from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from copy import deepcopy
from typing import Any, ClassVar
from uuid import UUID

from app.adapters.interface import ListQuery, Page, Row, missing_or_stale
from app.adapters.migrations import Migrations, NoMigrations
from app.adapters.store import StoreAdapter
from app.errors import Conflict
from app.models.resource import Resource
from settings import DatabaseConfig


class InMemoryAdapter(StoreAdapter):
    """An in-process store with the contract of the real ones: unique fields, equality
    filters, stable sorting with nulls first, paging, versions and transactions. Rows
    are copied in and out, so a caller cannot change what is stored by mutating what
    it got back. Nothing here awaits between reading and writing a row, so each
    operation is atomic under asyncio."""

    db_type: ClassVar[str] = "memory"

    def __init__(self, name: str = "memory", config: DatabaseConfig | None = None) -> None:
        super().__init__(name, config or DatabaseConfig(DB_TYPE="memory"))
        self._tables: dict[str, dict[UUID, Row]] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    @property
    def identity(self) -> str:
        return f"memory:{id(self)}"

    @property
    def migrations(self) -> Migrations:
        return NoMigrations()

    def rows(self, resource: Resource) -> list[Row]:
        """Everything stored for `resource`, for tests that check what was written."""
        return deepcopy(list(self._table(resource).values()))

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[None]:
        # A transaction here is all or nothing within one task: what it changed is
        # put back if the block fails (other tasks' writes meanwhile are not isolated).
        snapshot = deepcopy(self._tables)
        try:
            yield None
        except BaseException:
            self._tables = snapshot
            raise

    async def _ping(self) -> None:
        pass

    async def _insert(self, resource: Resource, row: Row) -> Row:
        self._check_unique(resource, row)
        self._table(resource)[row["id"]] = deepcopy(row)
        return deepcopy(row)

    async def _get(self, resource: Resource, id: UUID) -> Row:
        return deepcopy(self._find(resource, id, None))

    async def _get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        table = self._table(resource)
        return {id: deepcopy(table[id]) for id in set(ids) if id in table}

    async def _list(self, resource: Resource, query: ListQuery) -> Page:
        rows = [
            row
            for row in self._table(resource).values()
            if all(row.get(name) == value for name, value in query.filters.items())
        ]
        for key in reversed(query.sort):  # stable sorts, least significant key first
            rows.sort(key=lambda row: _nulls_first(row.get(key.field)), reverse=key.descending)
        window = rows[query.offset : query.offset + query.limit]
        return Page(items=deepcopy(window), total=len(rows))

    async def _update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None
    ) -> Row:
        row = self._find(resource, id, if_version)
        updated = {**row, **deepcopy(changes), "version": row["version"] + 1}
        self._check_unique(resource, updated)
        row.update(updated)
        return deepcopy(row)

    async def _delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None) -> None:
        self._find(resource, id, if_version)
        del self._table(resource)[id]

    def _table(self, resource: Resource) -> dict[UUID, Row]:
        return self._tables.setdefault(resource.name, {})

    def _find(self, resource: Resource, id: UUID, if_version: Collection[int] | None) -> Row:
        row = self._table(resource).get(id)
        if row is None or (if_version is not None and row["version"] not in if_version):
            raise missing_or_stale(resource, id, exists=row is not None)
        return row

    def _check_unique(self, resource: Resource, row: Row) -> None:
        for name in resource.unique:
            for other in self._table(resource).values():
                if other["id"] != row["id"] and other.get(name) == row.get(name) is not None:
                    raise Conflict(f"a {resource.name} row with the same {name} already exists")


def _nulls_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)
