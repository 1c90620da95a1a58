from __future__ import annotations

from collections.abc import Collection
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar
from uuid import UUID

from dependency_injector.wiring import Provide, inject
from pydantic import BaseModel
from uuid_utils.compat import uuid7

from app.adapters.interface import DatabaseAdapter, ListQuery, Page, Row, Transactional
from app.models.base import SortKey
from app.models.resource import Resource
from app.models.types import now

# Oldest first; the id, a UUIDv7, breaks ties so that paging is stable.
DEFAULT_SORT = (SortKey(field="created_at"),)
TIEBREAK = SortKey(field="id")


class BaseController:
    """The CRUD logic of one resource on the database it is given.

    Built per request by the container, so two requests never share one.
    Built without a database, it uses the primary, as the design note promises.
    """

    resource: ClassVar[Resource]

    @inject
    def __init__(
        self,
        model_name: str | None = None,
        db_adapter: DatabaseAdapter = Provide["databases.default"],
    ) -> None:
        if not isinstance(db_adapter, DatabaseAdapter):
            raise RuntimeError("no container is wired: build the app with app.main.create_app()")
        self.model_name = model_name or self.resource.name
        self.db_adapter = db_adapter

    def transaction(self) -> AbstractAsyncContextManager[None]:
        """One unit of work on this controller's database, for a method that needs
        several statements; each write method alone is one write, atomic without one. A
        database made of several (sharded) has none: a transaction cannot span them."""
        if not isinstance(self.db_adapter, Transactional):
            raise TypeError(
                f"{self.db_adapter.name} is {self.db_adapter.db_type}: a unit of work cannot span "
                "its databases; each write commits on its own"
            )
        return self.db_adapter.transaction()

    async def create(self, data: BaseModel) -> Row:
        stamp = now()
        row = {"id": uuid7(), **data.model_dump(), "created_at": stamp, "updated_at": stamp, "version": 1}
        return await self.db_adapter.insert(self.resource, row)

    async def get(self, id: UUID) -> Row:
        return await self.db_adapter.get(self.resource, id)

    async def get_many(self, ids: Collection[UUID]) -> dict[UUID, Row]:
        return await self.db_adapter.get_many(self.resource, ids)

    async def list(self, params: Any) -> Page:
        filters = {name: getattr(params, name) for name in self.resource.filterable}
        sort = params.sort or DEFAULT_SORT
        if all(key.field != "id" for key in sort):
            sort = (*sort, TIEBREAK)
        query = ListQuery(
            filters={name: value for name, value in filters.items() if value is not None},
            sort=sort,
            limit=params.limit,
            offset=params.offset,
            allow_partial=params.allow_partial,
        )
        return await self.db_adapter.list(self.resource, query)

    async def replace(self, id: UUID, data: BaseModel, if_version: Collection[int] | None = None) -> Row:
        return await self._change(id, data.model_dump(), if_version)

    async def update(self, id: UUID, data: BaseModel, if_version: Collection[int] | None = None) -> Row:
        """Only the fields `data` names change, so concurrent updates of different
        fields both persist."""
        return await self._change(id, data.model_dump(exclude_unset=True), if_version)

    async def delete(self, id: UUID, if_version: Collection[int] | None = None) -> None:
        await self.db_adapter.delete(self.resource, id, if_version)

    async def _change(self, id: UUID, changes: Row, if_version: Collection[int] | None) -> Row:
        changes = {**changes, "updated_at": now()}
        return await self.db_adapter.update(self.resource, id, changes, if_version)


def controller_for(resource: Resource) -> type[BaseController]:
    """The controller of a resource that needs nothing beyond CRUD, for its provider line
    in the container."""
    return type(f"{resource.read.__name__}Controller", (BaseController,), {"resource": resource})
