"""MariaDB and MySQL on aiomysql's own pool. aiomysql has no timeout of its own on a query,
so each call runs under one asyncio timer for its deadline (driver_pool.py), which bounds
its checkout and its statements together."""

from __future__ import annotations

import asyncio
import builtins
from typing import Any

import aiomysql
from pymysql import err
from pymysql.constants import CLIENT
from sqlalchemy import URL

from app.adapters.interface import Row
from app.adapters.sql.driven import DriverAdapter
from app.adapters.sql.driver_pool import IDLE_SECONDS, Record
from app.adapters.sql.statements import Statement

# The error codes for a connection that is of no more use: server gone away, lost during a
# query, lost before it; no database selected (its database was dropped while it was open,
# and one created again in its place is not its own).
_LOST = {2006, 2013, 2055, 1046}
# As SQLAlchemy's MySQL dialects read pymysql's errors: an OperationalError covers both the
# server being unreachable and most errors it reports by number.
_UNAVAILABLE: tuple[type[BaseException], ...] = (err.OperationalError, err.InterfaceError, OSError)


class MariaDBAdapter(DriverAdapter):
    conflict_errors = (err.IntegrityError,)
    invalid_errors = (err.DataError,)
    unavailable_errors = _UNAVAILABLE
    times_statements = False
    _pool: aiomysql.Pool

    async def _open_pool(self, url: URL, connect_args: dict[str, Any]) -> None:
        self._pool = await aiomysql.create_pool(
            minsize=0,
            maxsize=self._slots.size,
            pool_recycle=IDLE_SECONDS,
            autocommit=True,  # a lone statement commits itself; units of work say BEGIN
            # An UPDATE and the read of its row in one round trip (_update_and_read). Values
            # are always escaped into the statement by PyMySQL, never pasted as SQL.
            **{**connect_args, "client_flag": connect_args.get("client_flag", 0) | CLIENT.MULTI_STATEMENTS},
        )

    async def _close_pool(self) -> None:
        try:  # a server that died or froze must not hold the shutdown
            async with asyncio.timeout(self.config.CONNECT_TIMEOUT):
                await self._pool.clear()  # each with a goodbye (COM_QUIT): no aborted client
                self._pool.close()
                await self._pool.wait_closed()
        except TimeoutError:
            self._pool.terminate()

    def _idle(self) -> bool:
        # Never sure: aiomysql drops a free connection the server closed and opens a new one
        # inside acquire(), and its connect_timeout bounds only the TCP connect, not the
        # handshake that a hung server never answers. A checkout outside a call's timer (a
        # unit of work's) has a timer of its own.
        return False

    async def _acquire(self, within: float | None) -> Any:
        if within is None:  # inside the call's timer
            return await self._pool.acquire()
        async with asyncio.timeout(within):
            return await self._pool.acquire()

    async def _release(self, connection: Any) -> None:
        # Not a coroutine in aiomysql: cancellation cannot cut it short. A connection still
        # in a transaction is closed by it.
        self._pool.release(connection)

    def _terminate(self, connection: Any) -> None:
        connection.close()

    def _closed(self, connection: Any) -> bool:
        return bool(connection.closed)

    def _lost(self, error: Exception, connection: Any) -> bool:
        return (
            self._closed(connection)
            or isinstance(error, ConnectionError)
            or (isinstance(error, err.OperationalError) and bool(error.args) and error.args[0] in _LOST)
        )

    async def _fetch(
        self, connection: Any, deadline: float, statement: Statement, values: Row
    ) -> builtins.list[Record]:
        self._heard(statement)
        cursor = await connection.cursor()
        try:
            await cursor.execute(statement.sql, statement.args(values) or None)
            records: builtins.list[Record] = await cursor.fetchall()
        finally:
            await cursor.close()
        return records

    async def _execute(self, connection: Any, deadline: float, statement: Statement, values: Row) -> int:
        self._heard(statement)
        cursor = await connection.cursor()
        try:
            changed: int = await cursor.execute(statement.sql, statement.args(values) or None)
        finally:
            await cursor.close()
        return changed

    async def _command(self, connection: Any, deadline: float, command: str) -> None:
        async with asyncio.timeout_at(deadline):
            if command == "BEGIN":
                await connection.begin()
            elif command == "COMMIT":
                await connection.commit()
            else:
                await connection.rollback()

    async def _update_and_read(
        self, connection: Any, deadline: float, update: Statement, values: Row, read: Statement, key: Row
    ) -> tuple[int, Record | None]:
        # MariaDB has no UPDATE ... RETURNING: one batch of statements, where a lone call
        # wraps them in a transaction of their own so that the row read is the one written.
        alone = self._unit_of_work.get() is None
        self._heard(update)
        self._heard(read)
        batch = f"{update.sql};{read.sql}"
        try:
            cursor = await connection.cursor()
            try:
                await cursor.execute(
                    f"START TRANSACTION;{batch};COMMIT" if alone else batch,
                    [*update.args(values), *read.args(key)],
                )
                if alone:
                    await cursor.nextset()
                changed: int = cursor.rowcount
                await cursor.nextset()
                records: builtins.list[Record] = await cursor.fetchall()
            finally:
                await cursor.close()  # reads what is left: the COMMIT's answer
        except Exception as error:
            # The server stops a batch at its first error, inside the transaction it began.
            if alone and not connection.closed and connection.get_transaction_status():
                await self._abandon(connection, error)
            raise
        return changed, records[0] if records else None
