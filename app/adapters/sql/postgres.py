"""PostgreSQL on asyncpg's own pool: the compiled statements run as prepared statements
(asyncpg keeps them per connection), bounded by asyncpg's own per-statement timeouts."""

from __future__ import annotations

import asyncio
import builtins
import contextlib
from typing import Any

import asyncpg
from asyncpg import exceptions as pg
from asyncpg.protocol.protocol import BUILTIN_TYPE_NAME_MAP
from sqlalchemy import URL

from app.adapters.interface import Row
from app.adapters.sql.dialects import load_json
from app.adapters.sql.driven import DriverAdapter
from app.adapters.sql.driver_pool import IDLE_SECONDS, Record
from app.adapters.sql.statements import Statement

# SQLAlchemy's own options in a URL, which asyncpg.connect() does not take.
_SQLALCHEMY_ONLY = ("prepared_statement_cache_size", "prepared_statement_name_func")
# The server is gone, going, full, or refused us: SQLSTATE classes 08, 53, 57 and 28, and 40
# (a serialization failure or deadlock, which the client may retry).
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    pg.InternalClientError,
    pg.PostgresConnectionError,
    pg.InsufficientResourcesError,
    pg.OperatorInterventionError,
    pg.InvalidAuthorizationSpecificationError,
    pg.TransactionRollbackError,
)


class PostgresAdapter(DriverAdapter):
    conflict_errors = (pg.IntegrityConstraintViolationError,)
    invalid_errors = (pg.DataError,)
    unavailable_errors = _UNAVAILABLE
    _pool: asyncpg.Pool

    async def _open_pool(self, url: URL, connect_args: dict[str, Any]) -> None:
        for name in _SQLALCHEMY_ONLY:
            connect_args.pop(name, None)
        self._pool = await asyncpg.create_pool(
            min_size=0,
            max_size=self._slots.size,
            max_inactive_connection_lifetime=IDLE_SECONDS,
            init=_json_codecs,
            reset=_no_reset,
            **connect_args,
        )

    async def _close_pool(self) -> None:
        try:  # a server that died or froze must not hold the shutdown
            await asyncio.wait_for(self._pool.close(), self.config.CONNECT_TIMEOUT)
        except TimeoutError:
            self._pool.terminate()

    def _idle(self) -> bool:
        return bool(self._pool.get_idle_size())

    async def _acquire(self, within: float | None) -> Any:
        return await self._pool.acquire(timeout=within)

    async def _release(self, connection: Any) -> None:
        # asyncpg shields the release from cancellation, and closes a connection it cannot reset.
        # Only a connection left in a transaction waits for the server (a ROLLBACK): the others
        # go back at once, with no timer to set (one cut mid-statement is closed, never released).
        within = self.config.CONNECT_TIMEOUT if _in_transaction(connection) else None
        await self._pool.release(connection, timeout=within)

    def _terminate(self, connection: Any) -> None:
        with contextlib.suppress(asyncpg.InterfaceError):  # already closed, and back in the pool
            connection.terminate()

    def _closed(self, connection: Any) -> bool:
        try:
            return bool(connection.is_closed())
        except asyncpg.InterfaceError:  # terminated, and so back in the pool
            return True

    def _lost(self, error: Exception, connection: Any) -> bool:
        return self._closed(connection) or isinstance(
            error, pg.ConnectionDoesNotExistError | pg.AdminShutdownError | ConnectionError
        )

    async def _fetch(
        self, connection: Any, deadline: float, statement: Statement, values: Row
    ) -> builtins.list[Record]:
        self._heard(statement)
        records: builtins.list[Record] = await connection.fetch(
            statement.sql, *statement.args(values), timeout=self._left(deadline)
        )
        return records

    async def _one(
        self, connection: Any, deadline: float, statement: Statement, values: Row
    ) -> Record | None:
        self._heard(statement)
        record: Record | None = await connection.fetchrow(
            statement.sql, *statement.args(values), timeout=self._left(deadline)
        )
        return record

    async def _execute(self, connection: Any, deadline: float, statement: Statement, values: Row) -> int:
        self._heard(statement)
        status: str = await connection.execute(
            statement.sql, *statement.args(values), timeout=self._left(deadline)
        )
        return int(status.rpartition(" ")[2] or 0)  # "INSERT 0 1", "DELETE 1"

    async def _command(self, connection: Any, deadline: float, command: str) -> None:
        try:
            await connection.execute(command, timeout=self._left(deadline))
        except (TimeoutError, asyncio.CancelledError):
            self._terminate(connection)  # cut off mid-command: asyncpg would wait for its cancel
            raise

    @staticmethod
    def _type_code(sql_type: str) -> Any:
        """The type's OID, as PostgreSQL describes a result column."""
        return BUILTIN_TYPE_NAME_MAP.get(sql_type) or BUILTIN_TYPE_NAME_MAP.get(sql_type.split(" ")[0])


def _in_transaction(connection: Any) -> bool:
    try:
        return bool(connection.is_in_transaction())
    except asyncpg.InterfaceError:  # terminated, and so back in the pool
        return False


async def _json_codecs(connection: Any) -> None:
    """JSON and JSONB as SQLAlchemy's asyncpg dialect sets them up, so that the
    statements' bind and result processors see the values they expect."""
    await connection.set_type_codec(
        "json", encoder=str.encode, decoder=_json_decoder, schema="pg_catalog", format="binary"
    )
    await connection.set_type_codec(
        "jsonb", encoder=_jsonb_encoder, decoder=_jsonb_decoder, schema="pg_catalog", format="binary"
    )


def _json_decoder(value: bytes) -> Any:
    return load_json(value.decode())


def _jsonb_encoder(value: str) -> bytes:
    return b"\x01" + value.encode()  # JSONB's binary format: a version byte, then the text


def _jsonb_decoder(value: bytes) -> Any:
    return load_json(value[1:].decode())  # a large float comes back in digits: see load_json


async def _no_reset(connection: Any) -> None:
    """Nothing to reset on release beyond the rollback asyncpg does itself: the adapter
    sets no session state, takes no advisory lock and does not LISTEN. asyncpg's default
    reset is a round trip per checkout."""
