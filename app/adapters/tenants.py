"""A named database served, per request, by the database of the request's tenant."""

from __future__ import annotations

from collections.abc import AsyncIterator, Awaitable, Callable, Collection
from contextlib import asynccontextmanager
from typing import ClassVar, TypeVar
from uuid import UUID

from app import tenancy
from app.adapters.composite import CompositeAdapter
from app.adapters.interface import ListQuery, Page, Row, Store, Transactional
from app.models.resource import Resource

T = TypeVar("T")


class TenantAdapter(CompositeAdapter, Transactional):
    """Its members are keyed by tenant (TENANTS): every call goes to the member of the
    request's tenant and to no other. A request without a known tenant is refused
    before any database is touched (app.tenancy's errors)."""

    db_type: ClassVar[str] = "tenant-selected"

    def tenant_database(self) -> Store:
        return tenancy.of_tenant(self.members)

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        # The tenant's own unit of work: the calls inside it resolve to the same member,
        # as the tenant cannot change within a request.
        async with self.tenant_database().transaction():
            yield

    async def atomically(self, work: Callable[[], Awaitable[T]]) -> T:
        return await self.tenant_database().atomically(work)

    async def insert(self, resource: Resource, row: Row) -> Row:
        return await self.tenant_database().insert(resource, row)

    async def get(self, resource: Resource, id: UUID) -> Row:
        return await self.tenant_database().get(resource, id)

    async def list(self, resource: Resource, query: ListQuery) -> Page:
        return await self.tenant_database().list(resource, query)

    async def get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        return await self.tenant_database().get_many(resource, ids)

    async def update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None = None
    ) -> Row:
        return await self.tenant_database().update(resource, id, changes, if_version)

    async def delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None = None) -> None:
        await self.tenant_database().delete(resource, id, if_version)
