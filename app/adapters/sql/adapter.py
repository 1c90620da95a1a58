from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any, ClassVar, TypeVar
from uuid import UUID

from sqlalchemy import Select, Table, delete, event, exc, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncConnection, AsyncEngine, create_async_engine

from app.adapters.interface import ListQuery, Page, PoolUse, Row, missing_or_stale
from app.adapters.migrations import Migrations
from app.adapters.slots import Slots
from app.adapters.sql.dialects import engine_options, ensure_sqlite_directory, identity_of, order_by, url_for
from app.adapters.sql.migrations import SQLMigrations
from app.adapters.store import StoreAdapter
from app.errors import Conflict, Invalid, NotFound
from app.models.resource import Resource

# Ids per `IN (...)`: well under every dialect's limit on bound parameters (SQL Server's
# is 2100), so a larger batch is several statements on one connection.
IDS_PER_STATEMENT = 1000
T = TypeVar("T")


class SQLAdapter(StoreAdapter):
    """PostgreSQL, MySQL/MariaDB, SQL Server and SQLite through SQLAlchemy 2 async."""

    db_type: ClassVar[str] = "sql"
    _engine: AsyncEngine | None = None
    _autocommit: AsyncEngine

    async def connect(self) -> None:
        url = url_for(self.config)
        ensure_sqlite_directory(url)
        self._engine = create_async_engine(url, **engine_options(self.config))
        self._slots = Slots(self.config.POOL_SIZE + self.config.MAX_OVERFLOW)
        # Reads outside a unit of work need no transaction around a lone SELECT. They have
        # an engine of their own, in autocommit from each connection's start: switching a
        # pooled connection at checkout and back at check-in cost more than the
        # transaction (SQLite: bench/autocommit.py), and a failed switch escaped the
        # pool's bookkeeping. The slots bound both engines' checkouts together.
        self._autocommit = create_async_engine(
            url, isolation_level="AUTOCOMMIT", **engine_options(self.config)
        )
        if url.get_backend_name() == "sqlite":
            for engine in self._engines:
                event.listen(engine.sync_engine, "connect", _sqlite_pragmas)

    async def disconnect(self) -> None:
        await self._stop_upgrade()
        if self._engine is None:
            return
        for engine in self._engines:
            try:  # a server that died or froze must not hold the shutdown: close what answers
                async with asyncio.timeout(self.config.CONNECT_TIMEOUT):
                    await engine.dispose()
            except TimeoutError:
                await engine.dispose(close=False)

    @property
    def _engines(self) -> list[AsyncEngine]:
        """The engine of writes and, where it is another, that of reads."""
        return list({id(engine): engine for engine in (self.engine, self._autocommit)}.values())

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError(f"database {self.name!r} is not connected; call connect() first")
        return self._engine

    @property
    def identity(self) -> str:
        return identity_of(self.config)

    def checked_out(self) -> int:
        """Connections out of the pool now."""
        return self._slots.taken if self._engine is not None else 0

    def pool_use(self) -> PoolUse | None:
        slots: Slots | None = getattr(self, "_slots", None)  # none before connect()
        return None if slots is None else PoolUse(slots.taken, slots.size, slots.waiting)

    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        """Call `listener` with the SQL of every statement sent; returns what stops it."""

        def record(_connection: Any, _cursor: Any, statement: str, *_: Any) -> None:
            listener(statement)

        for engine in self._engines:
            event.listen(engine.sync_engine, "before_cursor_execute", record)

        def remove() -> None:
            for engine in self._engines:
                event.remove(engine.sync_engine, "before_cursor_execute", record)

        return remove

    async def scalar(self, sql: str) -> Any:
        """The first column of the first row `sql` returns, None without a row."""
        async with self.engine.connect() as connection:
            return (await connection.execute(text(sql))).scalar()

    @property
    def migrations(self) -> Migrations:
        return SQLMigrations(url_for(self.config), self._engine)

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[AsyncConnection]:
        await self._take_slot()
        try:
            async with self.engine.begin() as connection:
                yield connection
        finally:
            self._slots.give()

    @asynccontextmanager
    async def _connection(self, read_only: bool = False) -> AsyncIterator[AsyncConnection]:
        """The unit of work's connection; else a transaction of its own, or for a read,
        an autocommit connection."""
        current: AsyncConnection | None = self._unit_of_work.get()
        if current is not None:
            yield current
            return
        await self._take_slot()
        try:
            if read_only:
                async with self._autocommit.connect() as connection:
                    yield connection
            else:
                async with self.engine.begin() as connection:
                    yield connection
        finally:
            self._slots.give()

    async def _read(self, read: Callable[[AsyncConnection], Awaitable[T]]) -> T:
        """`read` on a connection; once more on a fresh one if the first was dead (the
        database restarted since it was opened)."""
        for attempt in (1, 2):
            try:
                async with self._connection(read_only=True) as connection:
                    return await read(connection)
            except exc.DBAPIError as error:
                if attempt == 2 or not error.connection_invalidated or self._unit_of_work.get() is not None:
                    raise
        raise AssertionError("unreachable")

    async def _ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _insert(self, resource: Resource, row: Row) -> Row:
        async with self._connection() as connection:
            await connection.execute(resource.table.insert().values(row))
        return row

    async def _get(self, resource: Resource, id: UUID) -> Row:
        row = await self._read(lambda connection: _fetch(connection, resource.table, id))
        if row is None:
            raise NotFound(f"no {resource.name} with id {id}")
        return row

    async def _get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        return await self._read(lambda connection: _fetch_many(connection, resource.table, sorted(set(ids))))

    async def _list(self, resource: Resource, query: ListQuery) -> Page:
        table = resource.table
        where = [table.c[name] == value for name, value in query.filters.items()]
        dialect = self.engine.dialect
        # The page and the total are two statements: a window count in the page's query
        # would keep the database from reading just one page off the index (measured:
        # GET list at half the speed, bench/README.md).
        statement = (
            select(table)
            .where(*where)
            .order_by(*(order_by(table.c[key.field], key.descending, dialect) for key in query.sort))
            .limit(query.limit)
            .offset(query.offset)
        )
        return await self._read(lambda connection: _page(connection, statement, where, table))

    async def _update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None
    ) -> Row:
        table = resource.table
        statement = _only(update(table), table, id, if_version).values(
            {**changes, "version": table.c.version + 1}
        )
        async with self._connection() as connection:
            if connection.dialect.update_returning:  # all but MySQL/MariaDB: one round trip
                updated = (await connection.execute(statement.returning(*table.c))).first()
                if updated is not None:
                    return dict(updated._mapping)
                row = None
            else:
                result = await connection.execute(statement)
                row = await _fetch(connection, table, id)
                if result.rowcount and row is not None:
                    return row
            exists = row is not None or await _fetch(connection, table, id) is not None
        raise missing_or_stale(resource, id, exists)

    async def _delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None) -> None:
        table = resource.table
        async with self._connection() as connection:
            result = await connection.execute(_only(delete(table), table, id, if_version))
            if result.rowcount == 0:
                exists = await _fetch(connection, table, id) is not None
                raise missing_or_stale(resource, id, exists)

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        if isinstance(error, exc.IntegrityError) and resource is not None:
            return Conflict(_conflict_message(resource))
        if _refused_value(error):  # a value the models should have refused
            return Invalid(f"database {self.name!r} refused a value of the request")
        if isinstance(error, exc.TimeoutError):
            return self._unavailable(f"no free connection within POOL_TIMEOUT={self.config.POOL_TIMEOUT:g}s")
        return super()._translate(error, resource)


def _refused_value(error: Exception) -> bool:
    """A data exception: a DataError, or SQLSTATE class 22, which asyncpg's adapter
    reports as a plain DBAPIError."""
    if not isinstance(error, exc.DBAPIError):
        return False
    sqlstate = str(getattr(error.orig, "sqlstate", None) or "")
    return isinstance(error, exc.DataError) or sqlstate.startswith("22")


def _only(statement: Any, table: Table, id: UUID, if_version: Collection[int] | None) -> Any:
    statement = statement.where(table.c.id == id)
    if if_version is not None:
        statement = statement.where(table.c.version.in_(list(if_version)))
    return statement


async def _page(connection: AsyncConnection, statement: Select[Any], where: list[Any], table: Table) -> Page:
    items = [dict(row._mapping) for row in await connection.execute(statement)]
    total = (await connection.execute(select(func.count()).select_from(table).where(*where))).scalar_one()
    return Page(items=items, total=total)


async def _fetch(connection: AsyncConnection, table: Table, id: UUID) -> Row | None:
    statement: Select[Any] = select(table).where(table.c.id == id)
    row = (await connection.execute(statement)).first()
    return None if row is None else dict(row._mapping)


async def _fetch_many(connection: AsyncConnection, table: Table, ids: list[UUID]) -> dict[UUID, Row]:
    found: dict[UUID, Row] = {}
    for start in range(0, len(ids), IDS_PER_STATEMENT):
        statement = select(table).where(table.c.id.in_(ids[start : start + IDS_PER_STATEMENT]))
        found.update((row.id, dict(row._mapping)) for row in await connection.execute(statement))
    return found


def _conflict_message(resource: Resource) -> str:
    fields = " or ".join(resource.unique) or "its key"
    return f"a {resource.name} row with the same {fields} already exists"


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    # WAL lets readers run beside the writer; the busy timeout queues writers instead
    # of failing them with "database is locked".
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA busy_timeout=5000")
    cursor.close()
