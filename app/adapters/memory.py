from __future__ import annotations

from copy import deepcopy
from typing import Any, ClassVar
from uuid import UUID

from app.adapters.interface import DatabaseAdapter, ListQuery, Page, Row
from app.errors import Conflict, NotFound
from app.models.resource import Resource
from settings import DatabaseConfig


class InMemoryAdapter(DatabaseAdapter):
    """An in-process store with the contract of the real ones: unique fields, equality
    filters, stable sorting with nulls first, paging. Rows are copied in and out, so a
    caller cannot change what is stored by mutating what it got back."""

    db_type: ClassVar[str] = "memory"

    def __init__(self, name: str = "memory", config: DatabaseConfig | None = None) -> None:
        super().__init__(name, config or DatabaseConfig(DB_TYPE="memory"))
        self._tables: dict[str, dict[UUID, Row]] = {}

    async def connect(self) -> None:
        pass

    async def disconnect(self) -> None:
        pass

    def rows(self, resource: Resource) -> list[Row]:
        """Everything stored for `resource`, for tests that check what was written."""
        return deepcopy(list(self._tables.get(resource.name, {}).values()))

    async def _ping(self) -> None:
        pass

    async def _create_schema(self, resource: Resource) -> None:
        self._tables.setdefault(resource.name, {})

    async def _insert(self, resource: Resource, row: Row) -> Row:
        table = self._tables[resource.name]
        self._check_unique(resource, row)
        table[row["id"]] = deepcopy(row)
        return deepcopy(row)

    async def _get(self, resource: Resource, id: UUID) -> Row:
        return deepcopy(self._find(resource, id))

    async def _list(self, resource: Resource, query: ListQuery) -> Page:
        rows = [
            row
            for row in self._tables[resource.name].values()
            if all(row.get(name) == value for name, value in query.filters.items())
        ]
        for key in reversed(query.sort):  # stable sorts, least significant key first
            rows.sort(key=lambda row: _nulls_first(row.get(key.field)), reverse=key.descending)
        window = rows[query.offset : query.offset + query.limit]
        return Page(items=deepcopy(window), total=len(rows))

    async def _update(self, resource: Resource, id: UUID, changes: Row) -> Row:
        row = self._find(resource, id)
        updated = {**row, **deepcopy(changes)}
        self._check_unique(resource, updated)
        row.update(updated)
        return deepcopy(row)

    async def _delete(self, resource: Resource, id: UUID) -> None:
        self._find(resource, id)
        del self._tables[resource.name][id]

    def _find(self, resource: Resource, id: UUID) -> Row:
        row = self._tables[resource.name].get(id)
        if row is None:
            raise NotFound(f"no {resource.name} with id {id}")
        return row

    def _check_unique(self, resource: Resource, row: Row) -> None:
        for name in resource.unique:
            for other in self._tables[resource.name].values():
                if other["id"] != row["id"] and other.get(name) == row.get(name) is not None:
                    raise Conflict(f"a {resource.name} row with the same {name} already exists")


def _nulls_first(value: Any) -> tuple[bool, Any]:
    return (value is not None, value if value is not None else 0)
