"""PostgreSQL: each resource's statements compiled once by SQLAlchemy, run as asyncpg
prepared statements on asyncpg's own pool.

SQLAlchemy's engine stays for what is not the request path (migrations, Alembic); it
holds no connection between uses. Every call keeps the adapter contract: it is bounded
by QUERY_TIMEOUT (through asyncpg's own timeouts, against one deadline per call), waits
at most POOL_TIMEOUT for a connection, joins the task's unit of work, and turns driver
errors into domain errors.
"""

from __future__ import annotations

import asyncio
import builtins
import json
from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import Any, TypeAlias, TypeVar
from uuid import UUID

import asyncpg
from asyncpg.protocol.protocol import BUILTIN_TYPE_NAME_MAP
from sqlalchemy import text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.adapters.interface import ListQuery, Page, Row, missing_or_stale
from app.adapters.sql.adapter import SQLAdapter
from app.adapters.sql.dialects import engine_options, url_for
from app.adapters.sql.postgres_errors import CheckoutFailed, closed, lost, terminate, translate
from app.adapters.sql.slots import Slots, SlotTimeout
from app.adapters.sql.statements import Statement, TableStatements
from app.errors import DomainError, NotFound
from app.models.resource import Resource

T = TypeVar("T")
Connection: TypeAlias = asyncpg.Connection
Work = Callable[[Connection, float], Awaitable[T]]
# SQLAlchemy's own options in a URL, which asyncpg.connect() does not take.
_SQLALCHEMY_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")
# asyncpg closes a connection idle this long; under steady load none is.
IDLE_SECONDS = 300.0


class PostgresAdapter(SQLAdapter):
    _pool: asyncpg.Pool | None = None

    async def connect(self) -> None:
        url = url_for(self.config)
        options = engine_options(self.config)
        self._engine = create_async_engine(url, poolclass=NullPool, connect_args=options["connect_args"])
        self._autocommit = self._engine
        dialect = self._engine.dialect
        _, connect_args = dialect.create_connect_args(url)
        for name in _SQLALCHEMY_ONLY:
            connect_args.pop(name, None)
        connect_args.update(options["connect_args"])
        self._statements: dict[str, TableStatements] = {}
        self._texts: dict[str, Statement] = {}
        self._loop = asyncio.get_running_loop()
        # POOL_SIZE + MAX_OVERFLOW connections at most, opened as needed and kept open:
        # no connection is closed and opened again under load (only after IDLE_SECONDS idle).
        self._slots = Slots(self.config.POOL_SIZE + self.config.MAX_OVERFLOW)
        self._pool = await asyncpg.create_pool(
            min_size=0,  # never waits for the database here: it may be down
            max_size=self._slots.size,
            max_inactive_connection_lifetime=IDLE_SECONDS,
            init=_json_codecs,
            reset=_no_reset,
            **connect_args,
        )

    async def disconnect(self) -> None:
        if self._pool is not None:
            try:  # a server that died or froze must not hold the shutdown
                await asyncio.wait_for(self._pool.close(), self.config.CONNECT_TIMEOUT)
            except TimeoutError:
                self._pool.terminate()
            self._pool = None
        await super().disconnect()

    def checked_out(self) -> int:
        return self._slots.taken if self._pool is not None else 0

    _listeners: tuple[Callable[[str], None], ...] = ()

    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        self._listeners = (*self._listeners, listener)

        def remove() -> None:
            self._listeners = tuple(other for other in self._listeners if other is not listener)

        return remove

    # The contract's operations, each one call of `_run` with no context manager around it.
    async def get(self, resource: Resource, id: UUID) -> Row:
        statements = self._of(resource)
        record = await self._run(
            resource, True, lambda c, t: self._fetchrow(c, t, statements.get, {"id": id})
        )
        if record is None:
            raise NotFound(f"no {resource.name} with id {id}")
        return statements.rows.row(record)

    async def get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        if not ids:
            return {}
        statements = self._of(resource)
        values = {"ids": sorted(set(ids))}
        records = await self._run(resource, True, lambda c, t: self._fetch(c, t, statements.get_many, values))
        rows = [statements.rows.row(record) for record in records]
        return {row["id"]: row for row in rows}

    async def list(self, resource: Resource, query: ListQuery) -> Page:
        statements = self._of(resource)
        names = tuple(query.filters)
        values: dict[str, Any] = {f"filter_{name}": value for name, value in query.filters.items()}
        page = statements.page(names, tuple((key.field, key.descending) for key in query.sort))
        count = statements.count(names)

        async def both(connection: Connection, deadline: float) -> tuple[builtins.list[Any], int]:
            records = await self._fetch(
                connection, deadline, page, {**values, "limit": query.limit, "offset": query.offset}
            )
            # Two statements: a window count in the page's query would keep PostgreSQL
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
        statement = statements.update(tuple(changes), if_version is not None)
        values = {**changes, "_id": id, "_versions": None if if_version is None else list(if_version)}

        async def change(connection: Connection, deadline: float) -> Any:
            updated = await self._fetchrow(connection, deadline, statement, values)
            if updated is not None:
                return updated
            return await self._fetchrow(connection, deadline, statements.get, {"id": id}) is not None

        updated = await self._run(resource, False, change)
        if isinstance(updated, bool):
            raise missing_or_stale(resource, id, updated)
        return statements.rows.row(updated)

    async def delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None = None) -> None:
        statements = self._of(resource)
        statement = statements.delete(if_version is not None)
        values = {"_id": id, "_versions": None if if_version is None else list(if_version)}

        async def remove(connection: Connection, deadline: float) -> bool | None:
            if await self._fetchrow(connection, deadline, statement, values) is not None:
                return None
            return await self._fetchrow(connection, deadline, statements.get, {"id": id}) is not None

        exists = await self._run(resource, False, remove)
        if exists is not None:
            raise missing_or_stale(resource, id, exists)

    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        if self._unit_of_work.get() is not None:
            return await work()
        deadline = self._loop.time() + self.config.QUERY_TIMEOUT
        connection = await self._step(None, self._checkout(deadline))
        token = self._unit_of_work.set(connection)
        try:
            await self._step(None, connection.execute("BEGIN", timeout=self._left(deadline)))
            try:
                result = await work()
            except BaseException as error:
                await self._abandon(connection, error)
                raise
            await self._step(None, connection.execute("COMMIT", timeout=self._left(deadline)))
            return result
        finally:
            self._unit_of_work.reset(token)
            await self._checkin(connection)

    async def scalar(self, sql: str) -> Any:
        statement = self._texts.get(sql)
        if statement is None:
            statement = self._texts[sql] = Statement(text(sql), self.engine.dialect)
        records = await self._run(None, True, lambda c, t: self._fetch(c, t, statement, {}))
        return records[0][0] if records else None

    # The base's context-managed path (transaction(), ping()) lands here, inside its bounds.
    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[Connection]:
        connection = await self._checkout(self._loop.time() + self.config.QUERY_TIMEOUT)
        try:
            await connection.execute("BEGIN")
            try:
                yield connection
            except BaseException as error:
                await self._abandon(connection, error)
                raise
            await connection.execute("COMMIT")
        finally:
            await self._checkin(connection)

    async def _ping(self) -> None:
        await self.scalar("SELECT 1")

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        return translate(self, error, resource)

    # The request path.
    def _of(self, resource: Resource) -> TableStatements:
        statements = self._statements.get(resource.name)
        if statements is None:
            statements = TableStatements(resource.table, self.engine.dialect, _type_oid)
            self._statements[resource.name] = statements
        return statements

    async def _run(self, resource: Resource | None, read: bool, work: Work[T]) -> T:
        """`work` on the unit of work's connection, or on one of the pool's; a read that
        finds its connection dead (the server restarted since) runs once more on a new one."""
        deadline = self._loop.time() + self.config.QUERY_TIMEOUT
        try:
            if resource is not None and self.resources and self._schema_check_due():
                async with asyncio.timeout_at(deadline):
                    await self._check_schema()
            current: Connection | None = self._unit_of_work.get()
            if current is not None:
                try:
                    return await work(current, deadline)
                except (TimeoutError, asyncio.CancelledError):
                    terminate(current)  # its statement may still run: the unit of work is over
                    raise
            for attempt in (1, 2):
                connection = await self._checkout(deadline)
                try:
                    return await work(connection, deadline)
                except (TimeoutError, asyncio.CancelledError):
                    terminate(connection)  # its statement may still run: never hand it on
                    raise
                except Exception as error:
                    if not (read and attempt == 1 and lost(error, connection)):
                        raise
                finally:
                    await self._checkin(connection)
            raise AssertionError("unreachable")
        except DomainError:
            raise
        except Exception as error:
            raise self._failed(error, resource) from error

    async def _step(self, resource: Resource | None, step: Awaitable[T]) -> T:
        """A step outside `_run` (a checkout, BEGIN, COMMIT), with its errors."""
        try:
            return await step
        except DomainError:
            raise
        except Exception as error:
            raise self._failed(error, resource) from error

    async def _checkout(self, deadline: float) -> Connection:
        pool = self._pool
        if pool is None:
            raise RuntimeError(f"database {self.name!r} is not connected; call connect() first")
        left = deadline - self._loop.time()
        try:
            await self._slots.take(min(left, self.config.POOL_TIMEOUT))
        except SlotTimeout:
            if left <= self.config.POOL_TIMEOUT:
                raise TimeoutError from None
            raise self._unavailable(
                f"no free connection within POOL_TIMEOUT={self.config.POOL_TIMEOUT:g}s"
            ) from None
        try:
            if pool.get_idle_size():  # an open connection is free: no wait, and no timer to set
                connection: Connection = await pool.acquire()
            else:  # a new connection, its set-up included
                connection = await pool.acquire(timeout=min(self.config.CONNECT_TIMEOUT, max(left, 0.001)))
        except BaseException as error:
            self._slots.give()
            if isinstance(error, TimeoutError):
                raise self._unavailable(
                    f"no connection within CONNECT_TIMEOUT={self.config.CONNECT_TIMEOUT:g}s"
                ) from None
            if isinstance(error, Exception):
                raise CheckoutFailed from error
            raise
        return connection

    async def _checkin(self, connection: Connection) -> None:
        """Back to the pool, whatever happens: release is shielded from cancellation by
        asyncpg, and a connection it cannot reset it closes (the pool opens another)."""
        try:
            if self._pool is not None:
                await self._pool.release(connection, timeout=self.config.CONNECT_TIMEOUT)
        except Exception:
            terminate(connection)
        finally:
            self._slots.give()

    async def _abandon(self, connection: Connection, error: BaseException) -> None:
        """Roll back; a connection whose state is unknown (cut off mid-statement, or the
        rollback fails) is closed instead, so that it is never handed to another request."""
        if closed(connection):
            return
        if isinstance(error, TimeoutError | asyncio.CancelledError):
            terminate(connection)
            return
        try:
            await connection.execute("ROLLBACK", timeout=self.config.CONNECT_TIMEOUT)
        except BaseException as failure:
            terminate(connection)
            if not isinstance(failure, Exception):
                raise

    def _failed(self, error: Exception, resource: Resource | None) -> Exception:
        if isinstance(error, TimeoutError):
            return self._unavailable(f"no answer within {self.config.QUERY_TIMEOUT:g}s")
        if self.schema == "behind":  # the likely cause: a table or column not there yet
            return self._unavailable("its schema is behind head; run `python -m app db upgrade`", error)
        return self._translate(error, resource)

    async def _fetch(
        self, connection: Connection, deadline: float, statement: Statement, values: Row
    ) -> builtins.list[Any]:
        for listener in self._listeners:
            listener(statement.sql)
        records: builtins.list[Any] = await connection.fetch(
            statement.sql, *statement.args(values), timeout=self._left(deadline)
        )
        return records

    async def _fetchrow(
        self, connection: Connection, deadline: float, statement: Statement, values: Row
    ) -> Any:
        for listener in self._listeners:
            listener(statement.sql)
        return await connection.fetchrow(statement.sql, *statement.args(values), timeout=self._left(deadline))

    async def _execute(
        self, connection: Connection, deadline: float, statement: Statement, values: Row
    ) -> None:
        for listener in self._listeners:
            listener(statement.sql)
        await connection.execute(statement.sql, *statement.args(values), timeout=self._left(deadline))

    def _left(self, deadline: float) -> float:
        left = deadline - self._loop.time()
        if left <= 0:
            raise TimeoutError
        return left


def _type_oid(name: str) -> int | None:
    """The OID PostgreSQL would describe a result column of this type with."""
    oid: int | None = BUILTIN_TYPE_NAME_MAP.get(name) or BUILTIN_TYPE_NAME_MAP.get(name.split(" ")[0])
    return oid


async def _json_codecs(connection: Connection) -> None:
    """JSON and JSONB as SQLAlchemy's asyncpg dialect sets them up, so that the
    statements' bind and result processors see the values they expect."""
    await connection.set_type_codec(
        "json", encoder=str.encode, decoder=_json_decoder, schema="pg_catalog", format="binary"
    )
    await connection.set_type_codec(
        "jsonb", encoder=_jsonb_encoder, decoder=_jsonb_decoder, schema="pg_catalog", format="binary"
    )


def _json_decoder(value: bytes) -> Any:
    return json.loads(value.decode())


def _jsonb_encoder(value: str) -> bytes:
    return b"\x01" + value.encode()  # JSONB's binary format: a version byte, then the text


def _jsonb_decoder(value: bytes) -> Any:
    return json.loads(value[1:].decode())


async def _no_reset(connection: Connection) -> None:
    """Nothing to reset on release beyond the rollback asyncpg does itself: the adapter
    sets no session state, takes no advisory lock and does not LISTEN. asyncpg's default
    reset is a round trip per checkout."""
