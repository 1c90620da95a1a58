"""A SQL database whose requests run on its driver's own pool, as encode/databases does:
each resource's statements compiled once (statements.py), executed on a driver connection
through the machinery of driver_pool.py. Every call keeps the adapter contract: bounded by
QUERY_TIMEOUT, at most POOL_TIMEOUT waiting for a connection, inside the task's unit of
work, driver errors turned into domain errors; and none has a context manager around it.
"""

from __future__ import annotations

import builtins
from collections.abc import Collection
from typing import Any
from uuid import UUID

from app.adapters.interface import ListQuery, Page, Row, missing_or_stale
from app.adapters.sql.driver_pool import DriverPool, Record
from app.adapters.sql.statements import TableStatements
from app.errors import NotFound
from app.models.resource import Resource


class DriverAdapter(DriverPool):
    async def get(self, resource: Resource, id: UUID) -> Row:
        statements = self._of(resource)
        record = await self._run(resource, True, lambda c, t: self._one(c, t, statements.get, {"id": id}))
        if record is None:
            raise NotFound(f"no {resource.name} with id {id}")
        return statements.rows.row(record)

    async def get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        if not ids:
            return {}
        statements = self._of(resource)
        batches = statements.get_many(sorted(set(ids)))

        async def read(connection: Any, deadline: float) -> builtins.list[Record]:
            records: builtins.list[Record] = []
            for statement, values in batches:
                records += await self._fetch(connection, deadline, statement, values)
            return records

        rows = [statements.rows.row(record) for record in await self._run(resource, True, read)]
        return {row["id"]: row for row in rows}

    async def list(self, resource: Resource, query: ListQuery) -> Page:
        statements = self._of(resource)
        names = tuple(query.filters)
        values: dict[str, Any] = {f"filter_{name}": value for name, value in query.filters.items()}
        page = statements.page(names, tuple((key.field, key.descending) for key in query.sort))
        count = statements.count(names)

        async def both(connection: Any, deadline: float) -> tuple[builtins.list[Record], int]:
            records = await self._fetch(
                connection, deadline, page, {**values, "limit": query.limit, "offset": query.offset}
            )
            # Two statements: a window count in the page's query would keep the database
            # from reading just one page off the index (bench/README.md).
            total = await self._fetch(connection, deadline, count, values)
            return records, total[0][0]

        records, total = await self._run(resource, True, both)
        return Page(items=[statements.rows.row(record) for record in records], total=total)

    async def insert(self, resource: Resource, row: Row) -> Row:
        statement = self._of(resource).insert(tuple(row))
        await self._run(resource, False, lambda c, t: self._execute(c, t, statement, row))
        return row

    async def update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None = None
    ) -> Row:
        statements = self._of(resource)
        versions = None if if_version is None else builtins.list(if_version)
        statement = statements.update(tuple(changes), versions)
        values = {**changes, "_id": id, **statements.versions(versions)}

        async def change(connection: Any, deadline: float) -> Record | bool:
            if statements.update_returns:  # one round trip
                updated = await self._one(connection, deadline, statement, values)
                if updated is not None:
                    return updated
                return await self._one(connection, deadline, statements.get, {"id": id}) is not None
            changed, record = await self._update_and_read(
                connection, deadline, statement, values, statements.get, {"id": id}
            )
            return record if changed and record is not None else record is not None

        updated = await self._run(resource, False, change)
        if isinstance(updated, bool):
            raise missing_or_stale(resource, id, updated)
        return statements.rows.row(updated)

    async def delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None = None) -> None:
        statements = self._of(resource)
        versions = None if if_version is None else builtins.list(if_version)
        statement = statements.delete(versions)
        values = {"_id": id, **statements.versions(versions)}

        async def remove(connection: Any, deadline: float) -> bool | None:
            if await self._execute(connection, deadline, statement, values):
                return None
            return await self._one(connection, deadline, statements.get, {"id": id}) is not None

        exists = await self._run(resource, False, remove)
        if exists is not None:
            raise missing_or_stale(resource, id, exists)

    def _of(self, resource: Resource) -> TableStatements:
        statements = self._statements.get(resource.name)
        if statements is None:
            statements = TableStatements(resource.table, self.engine.dialect, self._type_code)
            self._statements[resource.name] = statements
        return statements
