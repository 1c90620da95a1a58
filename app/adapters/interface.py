from __future__ import annotations

import asyncio
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any, ClassVar
from uuid import UUID

from app.errors import DomainError, Unavailable
from app.models.base import SortKey
from app.models.resource import Resource
from settings import DatabaseConfig

Row = dict[str, Any]

logger = logging.getLogger("multidb.adapters")


@dataclass(frozen=True)
class ListQuery:
    filters: Mapping[str, Any] = field(default_factory=dict)
    sort: tuple[SortKey, ...] = ()
    limit: int = 20
    offset: int = 0


@dataclass(frozen=True)
class Page:
    items: list[Row]
    total: int


class DatabaseAdapter(ABC):
    """One named database, pooled for the life of the application.

    The public methods are the same for every backend: they create the resource's
    table or collection on first use (so a database that was down at startup is used
    as soon as it is back), bound each call by the query timeout, and turn driver
    errors into domain errors. Backends implement the underscored methods.
    """

    db_type: ClassVar[str]

    def __init__(self, name: str, config: DatabaseConfig) -> None:
        self.name = name
        self.config = config
        self._prepared: set[str] = set()
        self._schema_lock = asyncio.Lock()

    @abstractmethod
    async def connect(self) -> None:
        """Create the pool. Never waits for the database: it may be down."""

    @abstractmethod
    async def disconnect(self) -> None: ...

    async def ping(self) -> None:
        async with self._bounded():
            await self._ping()

    async def prepare(self, resource: Resource) -> None:
        """Create the resource's table or collection and its indexes when missing."""
        async with self._bounded(resource):
            pass

    async def insert(self, resource: Resource, row: Row) -> Row:
        async with self._bounded(resource):
            return await self._insert(resource, row)

    async def get(self, resource: Resource, id: UUID) -> Row:
        async with self._bounded(resource):
            return await self._get(resource, id)

    async def list(self, resource: Resource, query: ListQuery) -> Page:
        async with self._bounded(resource):
            return await self._list(resource, query)

    async def update(self, resource: Resource, id: UUID, changes: Row) -> Row:
        async with self._bounded(resource):
            return await self._update(resource, id, changes)

    async def delete(self, resource: Resource, id: UUID) -> None:
        async with self._bounded(resource):
            await self._delete(resource, id)

    @asynccontextmanager
    async def _bounded(self, resource: Resource | None = None) -> AsyncIterator[None]:
        try:
            async with asyncio.timeout(self.config.QUERY_TIMEOUT):
                if resource is not None and resource.name not in self._prepared:
                    await self._prepare_once(resource)
                yield
        except DomainError:
            raise
        except TimeoutError:
            raise self._unavailable(f"no answer within {self.config.QUERY_TIMEOUT:g}s") from None
        except Exception as error:
            raise self._translate(error, resource) from error

    async def _prepare_once(self, resource: Resource) -> None:
        async with self._schema_lock:
            if resource.name not in self._prepared:
                await self._create_schema(resource)
                self._prepared.add(resource.name)

    def _unavailable(self, reason: str, error: BaseException | None = None) -> Unavailable:
        """The error a client sees names the database and the kind of failure; the log
        line adds the driver's own words (the password filter still applies to it)."""
        said = f" ({' '.join(str(error).split())[:300]})" if error is not None and str(error) else ""
        logger.warning(
            "database %s (%s) is unavailable: %s%s", self.name, self.config.describe(), reason, said
        )
        return Unavailable(self.name, reason)

    def _translate(self, error: Exception, resource: Resource | None) -> Exception:
        """The domain error for a driver error; the error itself when it is a bug."""
        return error

    @abstractmethod
    async def _ping(self) -> None: ...

    @abstractmethod
    async def _create_schema(self, resource: Resource) -> None: ...

    @abstractmethod
    async def _insert(self, resource: Resource, row: Row) -> Row: ...

    @abstractmethod
    async def _get(self, resource: Resource, id: UUID) -> Row: ...

    @abstractmethod
    async def _list(self, resource: Resource, query: ListQuery) -> Page: ...

    @abstractmethod
    async def _update(self, resource: Resource, id: UUID, changes: Row) -> Row: ...

    @abstractmethod
    async def _delete(self, resource: Resource, id: UUID) -> None: ...
