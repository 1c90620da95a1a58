from __future__ import annotations

from typing import Any, ClassVar
from uuid import UUID

from sqlalchemy import delete, event, exc, func, select, text, update
from sqlalchemy.ext.asyncio import AsyncEngine, create_async_engine

from app.adapters.interface import DatabaseAdapter, ListQuery, Page, Row
from app.adapters.sql.dialects import engine_options, ensure_sqlite_directory, order_by, url_for
from app.errors import Conflict, NotFound
from app.models.resource import Resource

# Errors that say the database could not be reached or could not answer, as opposed
# to errors in what was asked of it.
_UNAVAILABLE = (exc.OperationalError, exc.InterfaceError, exc.TimeoutError, OSError)


class SQLAdapter(DatabaseAdapter):
    """PostgreSQL, MySQL/MariaDB, SQL Server and SQLite through SQLAlchemy 2 async."""

    db_type: ClassVar[str] = "sql"
    _engine: AsyncEngine | None = None

    async def connect(self) -> None:
        url = url_for(self.config)
        ensure_sqlite_directory(url)
        self._engine = create_async_engine(url, **engine_options(self.config))
        if url.get_backend_name() == "sqlite":
            event.listen(self._engine.sync_engine, "connect", _sqlite_pragmas)

    async def disconnect(self) -> None:
        if self._engine is not None:
            await self._engine.dispose()

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError(f"database {self.name!r} is not connected; call connect() first")
        return self._engine

    async def _ping(self) -> None:
        async with self.engine.connect() as connection:
            await connection.execute(text("SELECT 1"))

    async def _create_schema(self, resource: Resource) -> None:
        async with self.engine.begin() as connection:
            await connection.run_sync(resource.table.create, checkfirst=True)

    async def _insert(self, resource: Resource, row: Row) -> Row:
        async with self.engine.begin() as connection:
            await connection.execute(resource.table.insert().values(row))
        return row

    async def _get(self, resource: Resource, id: UUID) -> Row:
        async with self.engine.connect() as connection:
            return await _fetch_one(connection, resource, id)

    async def _list(self, resource: Resource, query: ListQuery) -> Page:
        table = resource.table
        where = [table.c[name] == value for name, value in query.filters.items()]
        dialect = self.engine.dialect
        statement = (
            select(table)
            .where(*where)
            .order_by(*(order_by(table.c[key.field], key.descending, dialect) for key in query.sort))
            .limit(query.limit)
            .offset(query.offset)
        )
        count = select(func.count()).select_from(table).where(*where)
        async with self.engine.connect() as connection:
            items = [dict(row._mapping) for row in await connection.execute(statement)]
            total = (await connection.execute(count)).scalar_one()
        return Page(items=items, total=total)

    async def _update(self, resource: Resource, id: UUID, changes: Row) -> Row:
        table = resource.table
        async with self.engine.begin() as connection:
            await connection.execute(update(table).where(table.c.id == id).values(changes))
            return await _fetch_one(connection, resource, id)

    async def _delete(self, resource: Resource, id: UUID) -> None:
        table = resource.table
        async with self.engine.begin() as connection:
            result = await connection.execute(delete(table).where(table.c.id == id))
        if result.rowcount == 0:
            raise NotFound(f"no {resource.name} with id {id}")

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        if isinstance(error, exc.IntegrityError) and resource is not None:
            return Conflict(_conflict_message(resource))
        if isinstance(error, _UNAVAILABLE) or (
            isinstance(error, exc.DBAPIError) and error.connection_invalidated
        ):
            cause = getattr(error, "orig", None) or error
            return self._unavailable(type(cause).__name__, cause)
        return error


async def _fetch_one(connection: Any, resource: Resource, id: UUID) -> Row:
    table = resource.table
    row = (await connection.execute(select(table).where(table.c.id == id))).first()
    if row is None:
        raise NotFound(f"no {resource.name} with id {id}")
    return dict(row._mapping)


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
