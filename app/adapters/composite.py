"""A named database made of other named databases: the base of sharded and
tenant-selected databases.

Its members are databases of their own, configured by name, so the container builds,
the lifespan connects and migrates, and /health reports each of them under its own
name. A composite only routes each call to the member, or members, it belongs to.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping
from contextlib import AbstractAsyncContextManager
from typing import Any, ClassVar, NoReturn
from uuid import UUID

from app.adapters.interface import DatabaseAdapter, ListQuery, Page, Row
from app.adapters.migrations import Migrations, NoMigrations
from app.models.resource import Resource
from settings import DatabaseConfig


class CompositeAdapter(DatabaseAdapter):
    db_type: ClassVar[str] = "composite"

    def __init__(self, name: str, members: Mapping[str, DatabaseAdapter]) -> None:
        super().__init__(name, DatabaseConfig(DB_TYPE="memory", REQUIRED=False))
        self._members = dict(members)

    @property
    def members(self) -> Mapping[str, DatabaseAdapter]:
        return self._members

    @property
    def identity(self) -> str:
        return f"{self.db_type} of " + ", ".join(member.identity for member in self._members.values())

    @property
    def migrations(self) -> Migrations:
        return NoMigrations()  # each member holds, and migrates, its own schema

    async def connect(self) -> None:
        """Nothing of its own to open: the members are connected by their own names."""

    async def disconnect(self) -> None:
        pass

    async def ping(self) -> None:
        await asyncio.gather(*(member.ping() for member in self._members.values()))

    async def check_schema(self) -> Any:
        self.schema = "current"
        return self.schema

    # The public methods route to members, whose own public methods bound each call,
    # translate errors and check schemas; nothing reaches these.
    def _begin(self) -> AbstractAsyncContextManager[Any]:
        self._routed()

    async def _ping(self) -> None:
        self._routed()

    async def _insert(self, resource: Resource, row: Row) -> Row:
        self._routed()

    async def _get(self, resource: Resource, id: UUID) -> Row:
        self._routed()

    async def _list(self, resource: Resource, query: ListQuery) -> Page:
        self._routed()

    async def _update(self, resource: Resource, id: UUID, changes: Row, if_version: Any) -> Row:
        self._routed()

    async def _delete(self, resource: Resource, id: UUID, if_version: Any) -> None:
        self._routed()

    def _routed(self) -> NoReturn:
        raise TypeError(f"{type(self).__name__} routes its public methods to its members")
