"""The design note's database dependencies, kept for code written against it.

They yield the pooled adapter the container holds for a name; nothing is connected
or closed per request. New code binds a controller in the container instead.
"""

from __future__ import annotations

import inspect
from collections.abc import AsyncIterator
from typing import Any

from dependency_injector.wiring import Provider, inject

from app.adapters.interface import DatabaseAdapter
from settings.settings import PRIMARY


@inject
def _database(name: str, databases: Any = Provider["databases"]) -> DatabaseAdapter:
    provider = databases.providers.get(name)
    if provider is None or not provider.overridden:  # a name no one configured or bound
        provider = databases.providers[PRIMARY]
    adapter: DatabaseAdapter = provider()
    return adapter


async def get_db_adapter(db_name: str | None = None) -> AsyncIterator[DatabaseAdapter]:
    yield _database(db_name or PRIMARY)


# As a FastAPI dependency it takes no parameter: `db_name` must never become a query
# parameter through which a client could choose a database.
setattr(get_db_adapter, "__signature__", inspect.Signature())  # noqa: B010


async def get_user_db() -> AsyncIterator[DatabaseAdapter]:
    yield _database("users_db")


async def get_product_db() -> AsyncIterator[DatabaseAdapter]:
    yield _database("products_db")


async def get_analytics_db() -> AsyncIterator[DatabaseAdapter]:
    yield _database("analytics_db")
