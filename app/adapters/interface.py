from __future__ import annotations

import asyncio
import logging
import time
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar
from uuid import UUID

from app.adapters import failures
from app.errors import DomainError, NotFound, PreconditionFailed, Unavailable
from app.models.base import SortKey
from app.models.resource import Resource
from settings import DatabaseConfig

if TYPE_CHECKING:
    from app.adapters.migrations import Migrations

Row = dict[str, Any]
T = TypeVar("T")
SchemaState = Literal["unknown", "current", "behind"]

logger = logging.getLogger("multidb.adapters")

SCHEMA_RECHECK_SECONDS = 5.0


@dataclass(frozen=True)
class ListQuery:
    filters: Mapping[str, Any] = field(default_factory=dict)
    sort: tuple[SortKey, ...] = ()
    limit: int = 20
    offset: int = 0
    # A database made of several may then answer without the members that are down.
    allow_partial: bool = False


@dataclass(frozen=True)
class Page:
    items: list[Row]
    total: int
    missing: tuple[str, ...] = ()  # members left out of a partial answer (allow_partial)


class DatabaseAdapter(ABC):
    """One named database, pooled for the life of the application.

    The public methods are the same for every backend: they bound each call by the
    query timeout, turn driver errors into domain errors, join the unit of work that
    `transaction()` opened in this task, and check the database's schema version the
    first time it answers (so a database that was down at startup is checked, and
    upgraded where AUTO_MIGRATE allows, as soon as it is back). Backends implement
    the underscored methods.
    """

    db_type: ClassVar[str]

    def __init__(self, name: str, config: DatabaseConfig) -> None:
        self.name = name
        self.config = config
        self.resources: tuple[Resource, ...] = ()  # what the routes bound to this database serve
        self.schema: SchemaState = "unknown"
        self._schema_checked_at = 0.0
        self._schema_lock = asyncio.Lock()
        self._unit_of_work: ContextVar[Any] = ContextVar(f"unit_of_work_{name}_{id(self)}", default=None)
        # Why the database last failed to answer, in plain words, for /health; None once it answers.
        self.failure: str | None = None

    @abstractmethod
    async def connect(self) -> None:
        """Create the pool. Never waits for the database: it may be down."""

    @abstractmethod
    async def disconnect(self) -> None: ...

    @property
    @abstractmethod
    def identity(self) -> str:
        """The physical database, without secrets: two names with the same identity
        share one schema, migrated once."""

    @property
    @abstractmethod
    def migrations(self) -> Migrations: ...

    @property
    def members(self) -> Mapping[str, DatabaseAdapter]:
        """The named databases this one is made of (shards, tenants' databases); empty for
        a database of its own. Members are connected, migrated and checked by their own
        names; the resources bound to this name are stored in each of them."""
        return {}

    def replica_health(self) -> Sequence[tuple[str, str, float | None]] | None:
        """Each read replica's name, status and lag in ms; None without replicas."""
        return None

    async def ping(self) -> None:
        async with self._bounded():
            await self._ping()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        """A unit of work: every call on this adapter inside the block, in this task,
        runs in one transaction, committed at the end and rolled back on any error or
        cancellation. Nested blocks join the outer one."""
        if self._unit_of_work.get() is not None:
            yield
            return
        async with self._bounded(), self._begin() as handle:
            token = self._unit_of_work.set(handle)
            try:
                yield
            finally:
                self._unit_of_work.reset(token)

    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work` in one unit of work. Where a database aborts a transaction for a
        write conflict and asks for it to be retried (MongoDB), it is run again."""
        async with self.transaction():
            return await work()

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
        """The rows with these ids, by id, in one query; ids with no row are left out."""
        if not ids:
            return {}
        async with self._bounded(resource):
            return await self._get_many(resource, ids)

    async def update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None = None
    ) -> Row:
        """Set `changes` and increment the version, only if the version is one of
        `if_version` when given: NotFound if there is no such row, PreconditionFailed
        if its version is another."""
        async with self._bounded(resource):
            return await self._update(resource, id, changes, if_version)

    async def delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None = None) -> None:
        async with self._bounded(resource):
            await self._delete(resource, id, if_version)

    async def check_schema(self) -> SchemaState:
        """Compare the schema with the head of each bound resource's migrations, and
        upgrade it when AUTO_MIGRATE allows."""
        async with self._bounded():
            return await self._check_schema()

    def _schema_check_due(self) -> bool:
        # A schema found behind is looked at again now and then, so that the service
        # notices an upgrade run from the shell without a restart.
        if self.schema == "behind":
            return time.monotonic() - self._schema_checked_at > SCHEMA_RECHECK_SECONDS
        return self.schema == "unknown"

    async def _check_schema(self) -> SchemaState:
        async with self._schema_lock:
            if not self._schema_check_due():
                return self.schema
            self._schema_checked_at = time.monotonic()
            status = await self.migrations.status(self.resources)
            if status.behind and self.config.auto_migrate:
                await self.migrations.upgrade(self.resources)
                logger.info("database %s: schema upgraded to head", self.name)
            elif status.behind:
                logger.warning(
                    "database %s: schema behind head (%s); run `python -m app db upgrade --database %s`",
                    self.name,
                    status.describe(),
                    self.name,
                )
                self.schema = "behind"
                return self.schema
            self.schema = "current"
            return self.schema

    @asynccontextmanager
    async def _bounded(self, resource: Resource | None = None) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.config.QUERY_TIMEOUT):
                if resource is not None and self.resources and self._schema_check_due():
                    await self._check_schema()
                yield
            self.failure = None
        except DomainError:
            raise
        except TimeoutError:
            raise self._unavailable(f"no answer within {self.config.QUERY_TIMEOUT:g}s") from None
        except Exception as error:
            if self.schema == "behind":  # the likely cause: a table or column not there yet
                raise self._unavailable(
                    "its schema is behind head; run `python -m app db upgrade`", error
                ) from error
            raise self._translate(error, resource) from error

    def _unavailable(self, reason: str, error: BaseException | None = None) -> Unavailable:
        """The error a client sees names the database and the kind of failure; the log
        line adds the driver's own words (the password filter still applies to it). A
        failure is logged as a warning when it starts or its reason changes, not once per
        request while it lasts."""
        said = (
            f" ({failures.driver_words(error)})" if error is not None and failures.driver_words(error) else ""
        )
        level = logging.WARNING if reason != self.failure else logging.DEBUG
        logger.log(
            level, "database %s (%s) is unavailable: %s%s", self.name, self.config.describe(), reason, said
        )
        self.failure = reason
        return Unavailable(self.name, reason)

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        """The domain error for a driver error; the error itself when it is a bug.
        Backends translate what means "the request is at fault" (a duplicate, a refused
        value) first, then leave the rest to this: any error that a driver raised, on any
        path (connect, execute, fetch, commit, rollback, the connection's return to its
        pool), is the database failing to answer."""
        if failures.from_driver(error):
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

    async def _get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        raise NotImplementedError(f"{type(self).__name__} cannot load rows by ids yet")

    @abstractmethod
    async def _update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None
    ) -> Row: ...

    @abstractmethod
    async def _delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None) -> None: ...


def missing_or_stale(resource: Resource, id: UUID, exists: bool) -> DomainError:
    """Why a conditional write changed nothing: no such row, or another version of it."""
    if not exists:
        return NotFound(f"no {resource.name} with id {id}")
    return PreconditionFailed(f"{resource.name} {id} has changed since the version given in If-Match")
