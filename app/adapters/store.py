"""The template of every backend: one database of its own, spoken to by one driver."""

from __future__ import annotations

import asyncio
import logging
import time
from abc import abstractmethod
from collections.abc import AsyncIterator, Collection
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from typing import Any
from uuid import UUID

from app.adapters import failures
from app.adapters.interface import ListQuery, Page, Row, SchemaState, Store
from app.adapters.slots import Slots, SlotTimeout
from app.errors import DomainError, Unavailable
from app.models.resource import Resource
from app.request_context import touched
from settings import DatabaseConfig

logger = logging.getLogger("multidb.adapters")

SCHEMA_RECHECK_SECONDS = 5.0
# How long an upgrade may run once started, whatever the request that started it waits:
# long enough for an index built on a large table, short enough that an upgrade whose
# connection hangs does not hold the schema checks for good.
UPGRADE_TIMEOUT = 600.0


class StoreAdapter(Store):
    """The public methods are the same for every backend: they bound each call by the
    query timeout, turn driver errors into domain errors, join the unit of work that
    `transaction()` opened in this task, and check the database's schema version the
    first time it answers (so a database that was down at startup is checked, and
    upgraded where AUTO_MIGRATE allows, as soon as it is back). Backends implement
    the underscored methods.
    """

    # A backend with a pool puts its calls behind this gate of its size (see _take_slot).
    _slots: Slots

    def __init__(self, name: str, config: DatabaseConfig) -> None:
        self.name = name
        self.config = config
        self.resources = ()
        self._schema: SchemaState = "unknown"
        self._schema_checked_at = 0.0
        self._schema_lock = asyncio.Lock()
        self._upgrading: asyncio.Task[None] | None = None
        self._schema_said = ""  # the last check's finding, logged when it changes
        # Resources whose table or collection the last check (or a statement) found missing:
        # their calls answer 503 without reaching the database.
        self._missing: frozenset[str] = frozenset()
        self._unit_of_work: ContextVar[Any] = ContextVar(f"unit_of_work_{name}_{id(self)}", default=None)
        self.failure: str | None = None

    @property
    def schema(self) -> SchemaState:
        return self._schema

    def in_unit_of_work(self) -> bool:
        """Whether this task is inside a `transaction()` block of this database."""
        return self._unit_of_work.get() is not None

    async def ping(self) -> None:
        async with self._bounded():
            await self._ping()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        if self._unit_of_work.get() is not None:
            yield
            return
        async with self._bounded(), self._begin() as handle:
            token = self._unit_of_work.set(handle)
            try:
                yield
            finally:
                self._unit_of_work.reset(token)

    async def insert(self, resource: Resource, row: Row) -> Row:
        async with self._bounded(resource):
            return await self._insert(resource, row)

    async def get(self, resource: Resource, id: UUID) -> Row:
        async with self._bounded(resource):
            return await self._get(resource, id)

    async def list(self, resource: Resource, query: ListQuery) -> Page:
        async with self._bounded(resource):
            return await self._list(resource, query)

    async def get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        if not ids:
            return {}
        async with self._bounded(resource):
            return await self._get_many(resource, ids)

    async def update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None = None
    ) -> Row:
        async with self._bounded(resource):
            return await self._update(resource, id, changes, if_version)

    async def delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None = None) -> None:
        async with self._bounded(resource):
            await self._delete(resource, id, if_version)

    async def check_schema(self, again: bool = False) -> SchemaState:
        async with self._bounded():
            return await self._check_schema(again)

    def _schema_check_due(self) -> bool:
        # A schema found behind is looked at again now and then, so that the service
        # notices an upgrade run from the shell without a restart.
        if self._schema == "behind":
            return time.monotonic() - self._schema_checked_at > SCHEMA_RECHECK_SECONDS
        return self._schema == "unknown"

    async def _check_schema(self, again: bool = False) -> SchemaState:
        async with self._schema_lock:
            if not (again or self._schema_check_due()):
                return self._schema
            self._schema_checked_at = time.monotonic()
            status = await self.migrations.status(self.resources)
            if status.behind and self.config.auto_migrate:
                await self._upgrade()
                logger.info("database %s: schema upgraded to head", self.name)
            elif status.behind:
                said = status.describe()
                if said != self._schema_said:
                    logger.warning(
                        "database %s: schema behind head (%s); run `%s`",
                        self.name,
                        said,
                        self._upgrade_command,
                    )
                self._schema, self._schema_said, self._missing = "behind", said, frozenset(status.missing)
                return self._schema
            if self._schema_said:
                logger.info("database %s: schema at head again", self.name)
            self._schema, self._schema_said, self._missing = "current", "", frozenset()
            return self._schema

    async def _upgrade(self) -> None:
        """An upgrade is never cut halfway by the time limit of the call that started it:
        DDL is not transactional on MariaDB or MongoDB, so a revision cut between its
        CREATE TABLE and its version row would leave a table that every later upgrade
        tries to create again ("already exists"), and the database refused for good.
        It runs as a task of its own; a call that gives up leaves it running, and the
        next check waits for the same task."""
        if self._upgrading is None or self._upgrading.done():
            if self._upgrading is not None and not self._upgrading.cancelled():
                self._upgrading.exception()  # seen: a new try follows
            self._upgrading = asyncio.create_task(
                self._upgrade_within(UPGRADE_TIMEOUT), name=f"upgrade of {self.name}"
            )
        await asyncio.shield(self._upgrading)

    async def _upgrade_within(self, seconds: float) -> None:
        async with asyncio.timeout(seconds):
            await self.migrations.upgrade(self.resources)

    async def _stop_upgrade(self) -> None:
        """At disconnect: an upgrade still running is given CONNECT_TIMEOUT to end."""
        task, self._upgrading = self._upgrading, None
        if task is None or task.done():
            return
        try:
            async with asyncio.timeout(self.config.CONNECT_TIMEOUT):
                await asyncio.shield(task)
        except TimeoutError:
            task.cancel()
        except Exception:  # said by the call that waited for it
            pass

    @property
    def _upgrade_command(self) -> str:
        return f"python -m app db upgrade --database {self.name}"

    async def _before(self, resource: Resource | None) -> None:
        """Before a call on `resource`: the schema check when one is due, and 503 at once
        for a resource whose table or collection is missing."""
        if resource is None or not self.resources:
            return
        if self._schema_check_due():
            await self._check_schema()
        if resource.name in self._missing:
            raise self._unavailable(
                f"the table or collection of {resource.name} is missing; run `{self._upgrade_command}`"
            )

    @asynccontextmanager
    async def _bounded(self, resource: Resource | None = None) -> AsyncIterator[None]:
        touched(self.name)
        try:
            async with asyncio.timeout(self.config.QUERY_TIMEOUT):
                await self._before(resource)
                yield
            self.failure = None
        except DomainError:
            raise
        except TimeoutError:
            last = f" (last failure: {self.failure})" if self.failure else ""
            raise self._unavailable(
                f"no answer within {self.config.QUERY_TIMEOUT:g}s{last}", remember=False, timed_out=True
            ) from None
        except Exception as error:
            if self._schema == "behind":  # the likely cause: a table or column not there yet
                raise self._unavailable(
                    f"its schema is behind head; run `{self._upgrade_command}`", error
                ) from error
            raise self._translate(error, resource) from error

    async def _take_slot(self) -> None:
        """A turn at the pool, first come, first served (app/adapters/slots.py)."""
        try:
            await self._slots.take(self.config.POOL_TIMEOUT)
        except SlotTimeout:
            raise self._unavailable(
                f"no free connection within POOL_TIMEOUT={self.config.POOL_TIMEOUT:g}s"
            ) from None

    def _unavailable(
        self, reason: str, error: BaseException | None = None, remember: bool = True, timed_out: bool = False
    ) -> Unavailable:
        """The error a client sees names the database and the kind of failure; the log
        line adds the driver's own words (the password filter still applies to it). A
        failure is logged as a warning when it starts or its reason changes, not once per
        request while it lasts."""
        words = failures.driver_words(error) if error is not None else ""
        said = f" ({words})" if words else ""
        level = logging.WARNING if reason != self.failure else logging.DEBUG
        logger.log(
            level, "database %s (%s) is unavailable: %s%s", self.name, self.config.describe(), reason, said
        )
        if remember:  # a timeout says nothing new about why: the last reason stands
            self.failure = reason
        return Unavailable(self.name, reason, timed_out)

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        """The domain error for a driver error; the error itself when it is a bug.
        Backends translate what means "the request is at fault" (a duplicate, a refused
        value) first, then leave the rest to this: any error that a driver raised, on any
        path (connect, execute, fetch, commit, rollback, the connection's return to its
        pool), is the database failing to answer."""
        if failures.from_driver(error):
            if failures.missing_table(error):  # dropped, or a database recreated empty
                self._schema, self._schema_checked_at = "behind", time.monotonic()
                if resource is not None:
                    self._missing |= {resource.name}
                return self._unavailable(
                    f"a table or collection is missing; run `{self._upgrade_command}`", error
                )
            return self._unavailable(failures.reason(error, failures.host_of(self.config)), error)
        return error

    @abstractmethod
    def _begin(self) -> AbstractAsyncContextManager[Any]:
        """Open a transaction; its handle is what the operations inside it use."""

    @abstractmethod
    async def _ping(self) -> None: ...

    @abstractmethod
    async def _insert(self, resource: Resource, row: Row) -> Row: ...

    @abstractmethod
    async def _get(self, resource: Resource, id: UUID) -> Row: ...

    @abstractmethod
    async def _list(self, resource: Resource, query: ListQuery) -> Page: ...

    @abstractmethod
    async def _get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]: ...

    @abstractmethod
    async def _update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None
    ) -> Row: ...

    @abstractmethod
    async def _delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None) -> None: ...
