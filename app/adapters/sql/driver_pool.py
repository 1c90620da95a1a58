"""The machinery of a SQL database served on its driver's own pool: the pool behind a
first-come-first-served gate (app/adapters/slots.py), one deadline per call, units of work,
and a call cut off mid-statement (timed out or cancelled) closing its connection rather than handing
it on. A driver module (postgres.py, mariadb.py) fills in the hooks at the end: how to open
a pool, run a statement and read its errors. SQLAlchemy's engine stays for what is not the
request path (migrations, Alembic), and holds no connection between uses.
"""

from __future__ import annotations

import asyncio
import builtins
from abc import abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from contextlib import asynccontextmanager
from typing import Any, ClassVar, TypeVar

from sqlalchemy import URL, exc, text
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from app.adapters import failures
from app.adapters.interface import Row
from app.adapters.slots import Slots, SlotTimeout
from app.adapters.sql.adapter import SQLAdapter
from app.adapters.sql.dialects import engine_options, url_for
from app.adapters.sql.statements import Statement, TableStatements
from app.adapters.store import StoreAdapter
from app.errors import Conflict, DomainError, Invalid
from app.models.resource import Resource
from app.request_context import touched

T = TypeVar("T")
Record = Sequence[Any]
Work = Callable[[Any, float], Awaitable[T]]
# A connection idle this long is closed; under steady load none is.
IDLE_SECONDS = 300.0


class CheckoutFailed(Exception):
    """No connection could be opened: whatever the driver said, the database is unavailable."""


class DriverPool(SQLAdapter):
    # The driver's errors, by what they mean to a client; each driver's adapter names them.
    conflict_errors: ClassVar[tuple[type[Exception], ...]] = ()
    invalid_errors: ClassVar[tuple[type[Exception], ...]] = ()
    unavailable_errors: ClassVar[tuple[type[BaseException], ...]] = ()
    # Whether the driver bounds each statement by a timeout of its own (asyncpg does); if
    # not, each call runs under one timer for its deadline, from its checkout to its end.
    times_statements: ClassVar[bool] = True
    _opened = False
    _listeners: tuple[Callable[[str], None], ...] = ()

    async def connect(self) -> None:
        url = url_for(self.config)
        options = engine_options(self.config)
        connect_args = options["connect_args"]
        # The dialect only builds statements and reads values here; JSON is read as on every path.
        self._engine = create_async_engine(
            url, poolclass=NullPool, connect_args=connect_args, json_deserializer=options["json_deserializer"]
        )
        self._autocommit = self._engine
        self._statements: dict[str, TableStatements] = {}
        self._texts: dict[str, Statement] = {}
        self._loop = asyncio.get_running_loop()
        # POOL_SIZE + MAX_OVERFLOW connections at most, opened as needed and kept open:
        # none is closed and opened again under load (only after IDLE_SECONDS idle).
        self._slots = Slots(self.config.POOL_SIZE + self.config.MAX_OVERFLOW)
        _, driver_args = self._engine.dialect.create_connect_args(url)
        await self._open_pool(url, {**driver_args, **connect_args})
        self._opened = True

    async def disconnect(self) -> None:
        if self._opened:
            self._opened = False
            await self._close_pool()
        await super().disconnect()

    def checked_out(self) -> int:
        return self._slots.taken if self._opened else 0

    def listen(self, listener: Callable[[str], None]) -> Callable[[], None]:
        self._listeners = (*self._listeners, listener)

        def remove() -> None:
            self._listeners = tuple(other for other in self._listeners if other is not listener)

        return remove

    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        if self._unit_of_work.get() is not None:
            return await work()
        deadline = self._loop.time() + self.config.QUERY_TIMEOUT
        connection = await self._step(self._checkout(deadline))
        token = self._unit_of_work.set(connection)
        try:
            await self._step(self._command(connection, deadline, "BEGIN"))
            try:
                result = await work()
            except BaseException as error:
                await self._abandon(connection, error)
                raise
            await self._step(self._command(connection, deadline, "COMMIT"))
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
    async def _begin(self) -> AsyncIterator[Any]:
        deadline = self._loop.time() + self.config.QUERY_TIMEOUT
        connection = await self._checkout(deadline)
        try:
            await self._command(connection, deadline, "BEGIN")
            try:
                yield connection
            except BaseException as error:
                await self._abandon(connection, error)
                raise
            await self._command(connection, deadline, "COMMIT")
        finally:
            await self._checkin(connection)

    async def _ping(self) -> None:
        await self.scalar("SELECT 1")

    async def _run(self, resource: Resource | None, read: bool, work: Work[T]) -> T:
        """`work` on the unit of work's connection, or on one of the pool's; a read that
        finds its connection dead (the server restarted since) runs once more on a new one."""
        touched(self.name)
        deadline = self._loop.time() + self.config.QUERY_TIMEOUT
        try:
            if self.times_statements:
                return await self._call(resource, read, work, deadline)
            async with asyncio.timeout_at(deadline):  # one timer for the whole call
                return await self._call(resource, read, work, deadline)
        except DomainError:
            raise
        except Exception as error:
            raise self._failed(error, resource) from error

    async def _call(self, resource: Resource | None, read: bool, work: Work[T], deadline: float) -> T:
        if self._schema_check_due():  # the one step of `_before` that waits
            async with asyncio.timeout_at(deadline):
                await self._before(resource)
        else:  # no timer to set and cancel on every call
            await self._before(resource)
        current = self._unit_of_work.get()
        if current is not None:
            try:
                return await work(current, deadline)
            except (TimeoutError, asyncio.CancelledError):
                self._terminate(current)  # its statement may still run: the unit of work is over
                raise
            except Exception as error:
                self._close_if_lost(error, current)
                raise
        for attempt in (1, 2):
            connection = await self._checkout(deadline, timed=not self.times_statements)
            try:
                return await work(connection, deadline)
            except (TimeoutError, asyncio.CancelledError):
                self._terminate(connection)  # its statement may still run: never hand it on
                raise
            except Exception as error:
                if not (self._close_if_lost(error, connection) and read and attempt == 1):
                    raise
            finally:
                await self._checkin(connection)
        raise AssertionError("unreachable")

    def _close_if_lost(self, error: Exception, connection: Any) -> bool:
        """Whether `error` says the connection is of no more use; if so it is closed, so
        that the pool never hands it on."""
        if not self._lost(error, connection):
            return False
        if not self._closed(connection):
            self._terminate(connection)
        return True

    async def _step(self, step: Awaitable[T]) -> T:
        """A step outside `_run` (a checkout, BEGIN, COMMIT), with its errors."""
        try:
            return await step
        except DomainError:
            raise
        except Exception as error:
            raise self._failed(error, None) from error

    async def _checkout(self, deadline: float, timed: bool = False) -> Any:
        """A connection of the pool, within the deadline; `timed` when the caller's own
        timer stops it at the deadline already."""
        if not self._opened:
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
            # An open connection is free, or the caller's timer runs: no timer to set. Else a
            # new one, set up within the call's deadline (the driver's CONNECT_TIMEOUT bounds
            # each attempt).
            within = None if timed or self._idle() else max(deadline - self._loop.time(), 0.001)
            return await self._acquire(within)
        except BaseException as error:
            self._slots.give()
            if isinstance(error, Exception) and not isinstance(error, TimeoutError):
                raise CheckoutFailed from error
            raise

    async def _checkin(self, connection: Any) -> None:
        """Back to the pool, whatever happens; one the pool cannot take back is closed."""
        try:
            await self._release(connection)  # the driver's release holds out against cancellation
        except Exception:
            self._terminate(connection)
        finally:
            self._slots.give()

    async def _abandon(self, connection: Any, error: BaseException) -> None:
        """Roll back; a connection whose state is unknown (cut off mid-statement, or the
        rollback fails) is closed instead, so that it is never handed to another request."""
        if self._closed(connection):
            return
        if isinstance(error, TimeoutError | asyncio.CancelledError):
            self._terminate(connection)
            return
        try:
            await self._command(connection, self._loop.time() + self.config.CONNECT_TIMEOUT, "ROLLBACK")
        except BaseException as failure:
            self._terminate(connection)
            if not isinstance(failure, Exception):
                raise

    def _failed(self, error: Exception, resource: Resource | None) -> Exception:
        if isinstance(error, TimeoutError):
            return self._unavailable(f"no answer within {self.config.QUERY_TIMEOUT:g}s", timed_out=True)
        if self.schema == "behind":  # the likely cause: a table or column not there yet
            return self._unavailable(f"its schema is behind head; run `{self._upgrade_command}`", error)
        return self._translate(error, resource)

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        if isinstance(error, CheckoutFailed):  # on any path: a unit of work's checkout too
            cause = error.__cause__ or error
            return self._unavailable(failures.reason(cause, failures.host_of(self.config)), cause)
        if isinstance(error, exc.SQLAlchemyError):  # from the engine: migrations, schema checks
            return super()._translate(error, resource)
        translated = self._translate_driver(error, resource)
        if translated is error:  # not one the driver's own table names: a driver error is a 503
            return StoreAdapter._translate(self, error, resource)
        return translated

    def _heard(self, statement: Statement) -> None:
        for listener in self._listeners:
            listener(statement.sql)

    def _left(self, deadline: float) -> float:
        left = deadline - self._loop.time()
        if left <= 0:
            raise TimeoutError
        return left

    async def _one(
        self, connection: Any, deadline: float, statement: Statement, values: Row
    ) -> Record | None:
        records = await self._fetch(connection, deadline, statement, values)
        return records[0] if records else None

    # What a driver module provides.
    @staticmethod
    def _type_code(sql_type: str) -> Any:
        """How the driver describes a result column of this type (some of SQLAlchemy's
        result processors depend on it); None when they do not."""
        return None

    @abstractmethod
    async def _open_pool(self, url: URL, connect_args: dict[str, Any]) -> None:
        """Create the pool, opening no connection (the database may be down)."""

    @abstractmethod
    async def _close_pool(self) -> None: ...

    @abstractmethod
    def _idle(self) -> bool:
        """Whether an open connection is free in the pool."""

    @abstractmethod
    async def _acquire(self, within: float | None) -> Any:
        """A connection of the pool within `within` seconds; None when no timer is needed
        (an open connection is free, or the caller's timer bounds the call)."""

    @abstractmethod
    async def _release(self, connection: Any) -> None: ...

    @abstractmethod
    def _terminate(self, connection: Any) -> None:
        """Close at once, without waiting for the server (which may not answer)."""

    @abstractmethod
    def _closed(self, connection: Any) -> bool: ...

    @abstractmethod
    def _lost(self, error: Exception, connection: Any) -> bool:
        """Whether `error` says the connection died under the statement, or lost its
        database (dropped while it was open)."""

    @abstractmethod
    async def _fetch(
        self, connection: Any, deadline: float, statement: Statement, values: Row
    ) -> builtins.list[Record]: ...

    @abstractmethod
    async def _execute(self, connection: Any, deadline: float, statement: Statement, values: Row) -> int:
        """Run a statement that returns no rows: how many rows it changed."""

    @abstractmethod
    async def _command(self, connection: Any, deadline: float, command: str) -> None:
        """BEGIN, COMMIT or ROLLBACK."""

    async def _update_and_read(
        self, connection: Any, deadline: float, update: Statement, values: Row, read: Statement, key: Row
    ) -> tuple[int, Record | None]:
        """For a dialect without UPDATE ... RETURNING: `update`, then `read` of the row it
        meant, in one transaction (the unit of work's, if any): how many rows it changed, and
        the row as stored after it (None if there is none)."""
        raise NotImplementedError(f"{type(self).__name__} has UPDATE ... RETURNING")

    def _translate_driver(self, error: Exception, resource: Resource | None) -> Exception:
        """The domain error for one of the driver's errors; the error itself when it is a bug."""
        if isinstance(error, self.conflict_errors) and resource is not None:
            fields = " or ".join(resource.unique) or "its key"
            return Conflict(f"a {resource.name} row with the same {fields} already exists")
        if isinstance(error, self.invalid_errors):  # a value the models should have refused
            return Invalid(f"database {self.name!r} refused a value of the request")
        if isinstance(error, self.unavailable_errors):
            return self._unavailable(failures.reason(error, failures.host_of(self.config)), error)
        return error
