"""What a named database answers, whatever it is made of.

`DatabaseAdapter` is the contract the controllers call. `Transactional` adds the unit
of work, for a database that can hold one (not a sharded one: a transaction cannot
span its shards). `Store` is a database of its own, with a pool to open and a schema
to check: the template the backends fill in is `app.adapters.store.StoreAdapter`.
Composites (`app.adapters.composite`) hold stores and route each call to them.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Collection, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any, ClassVar, Literal, TypeVar
from uuid import UUID

from app.errors import DomainError, NotFound, PreconditionFailed
from app.models.base import SortKey
from app.models.resource import Resource

if TYPE_CHECKING:
    from app.adapters.migrations import Migrations
    from settings import DatabaseConfig

Row = dict[str, Any]
T = TypeVar("T")
SchemaState = Literal["unknown", "current", "behind"]


@dataclass(frozen=True)
class ListQuery:
    filters: Mapping[str, Any] = field(default_factory=dict)
    sort: tuple[SortKey, ...] = ()
    limit: int = 20
    offset: int = 0
    # A database made of several may then answer without the members that are down.
    allow_partial: bool = False


@dataclass(frozen=True)
class PoolUse:
    """A pool's connections now: out of it, at most, and requests waiting for one."""

    in_use: int
    size: int
    waiting: int


@dataclass(frozen=True)
class Page:
    items: list[Row]
    total: int
    missing: tuple[str, ...] = ()  # members left out of a partial answer (allow_partial)


class DatabaseAdapter(ABC):
    """One named database, as the controllers use it: each call bounded, its failures
    turned into domain errors (NotFound, Conflict, Unavailable, ...). Each write (insert,
    update, delete) is atomic on its own and done when it returns, its read-your-writes
    position recorded, without a unit of work around it: a single statement needs no
    BEGIN and COMMIT (bench/README.md)."""

    db_type: ClassVar[str]
    name: str

    @abstractmethod
    async def ping(self) -> None: ...

    @abstractmethod
    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        """`work`, several calls, as one write: in one unit of work where the database has them."""

    @abstractmethod
    async def insert(self, resource: Resource, row: Row) -> Row: ...

    @abstractmethod
    async def get(self, resource: Resource, id: UUID) -> Row: ...

    @abstractmethod
    async def list(self, resource: Resource, query: ListQuery) -> Page: ...

    @abstractmethod
    async def get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        """The rows with these ids, by id; ids with no row are left out."""

    @abstractmethod
    async def update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None = None
    ) -> Row:
        """Set `changes` and increment the version, only if the version is one of
        `if_version` when given: NotFound if there is no such row, PreconditionFailed
        if its version is another."""

    @abstractmethod
    async def delete(
        self, resource: Resource, id: UUID, if_version: Collection[int] | None = None
    ) -> None: ...


class Transactional(DatabaseAdapter):
    """A database with units of work."""

    @abstractmethod
    def transaction(self) -> AbstractAsyncContextManager[None]:
        """A unit of work: every call on this adapter inside the block, in this task,
        runs in one transaction, committed at the end and rolled back on any error or
        cancellation. Nested blocks join the outer one."""

    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        async with self.transaction():
            return await work()


class Store(Transactional):
    """A database of its own: pooled for the life of the application, its schema
    versioned by its migrations."""

    config: DatabaseConfig
    resources: tuple[Resource, ...]  # what the routes bound to this database serve
    # Why the database last failed to answer, in plain words, for /health; None once it answers.
    failure: str | None = None

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
    @abstractmethod
    def schema(self) -> SchemaState: ...

    @abstractmethod
    async def check_schema(self, again: bool = False) -> SchemaState:
        """Compare the schema with the head of each bound resource's migrations, and
        upgrade it when AUTO_MIGRATE allows; `again`: even if it was found current."""

    def replica_health(self) -> Sequence[tuple[str, str, float | None]] | None:
        """Each read replica's name, status and lag in ms; None without replicas."""
        return None

    def pool_use(self) -> PoolUse | None:
        """The pool's use now, read without touching the database; None where the
        service does not hold the count (a driver's own pool, an in-process store)."""
        return None


def missing_or_stale(resource: Resource, id: UUID, exists: bool) -> DomainError:
    """Why a conditional write changed nothing: no such row, or another version of it."""
    if not exists:
        return NotFound(f"no {resource.name} with id {id}")
    return PreconditionFailed(f"{resource.name} {id} has changed since the version given in If-Match")
