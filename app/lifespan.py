from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.adapters.composite import CompositeAdapter
from app.adapters.interface import DatabaseAdapter, Store
from app.errors import Unavailable
from containers import Container
from containers.databases import Placement, bindings, placements, shared_resources, unserved_resources
from containers.named import adapters_by_name

logger = logging.getLogger("multidb")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open one pool per named database, check each schema against its migrations
    (upgrading it where AUTO_MIGRATE allows), and close the pools at exit. A database
    that is down does not stop the start: its routes answer 503 until it is back."""
    container: Container = app.state.container
    found = placements(container)
    for placement in found:
        placement.adapter.resources = tuple(placement.resources)
        await placement.adapter.connect()
    try:
        _log_routes(container)
        _log_shared(container)
        await asyncio.gather(*(_check_schemas(group) for group in _by_identity(found)))
        yield
    finally:
        for placement in found:
            await placement.adapter.disconnect()


def _log_routes(container: Container) -> None:
    configured = set(container.settings().database_configs())
    adapters = adapters_by_name(container.databases)
    for binding in bindings(container):
        adapter = adapters[binding.database]
        composite = isinstance(adapter, CompositeAdapter)
        fallback = (
            "" if binding.database in configured or composite else "  (not configured: falls back to default)"
        )
        where = (
            adapter.describe() if isinstance(adapter, CompositeAdapter) else _store(adapter).config.describe()
        )
        logger.info("route /%s -> %s -> %s%s", binding.resource.name, binding.database, where, fallback)


def _log_shared(container: Container) -> None:
    """In a tenant deployment, say which resources every tenant reads and writes alike."""
    shared = shared_resources(container)
    if not shared:
        return
    unserved = unserved_resources(container)
    served = [binding for binding in shared if binding.resource.name not in unserved]
    listed = ", ".join(f"/{binding.resource.name} ({binding.database})" for binding in served)
    if container.settings().TENANT_SHARED is None:
        logger.warning(
            "shared between tenants: %s: every tenant reads and changes the same rows there; "
            "name what may be shared in TENANT_SHARED (empty: nothing) to serve only that",
            listed,
        )
    elif served:
        logger.info("shared between tenants (TENANT_SHARED): %s", listed)
    for name in sorted(unserved):
        logger.info("route /%s not served: shared between tenants, and not in TENANT_SHARED", name)


def _store(adapter: DatabaseAdapter) -> Store:
    assert isinstance(adapter, Store), f"{adapter.name}: neither a store nor a composite of stores"
    return adapter


def _by_identity(found: list[Placement]) -> list[list[Store]]:
    """Adapters grouped by the physical database they reach: one group is migrated
    by one adapter after another, never two at once."""
    groups: dict[str, list[Store]] = defaultdict(list)
    for placement in found:
        if placement.resources:
            groups[placement.adapter.identity].append(placement.adapter)
    return list(groups.values())


async def _check_schemas(adapters: list[Store]) -> None:
    for adapter in adapters:
        try:
            await adapter.check_schema()
        except Unavailable:
            logger.warning(
                "database %s is down at startup; its routes answer 503 until it is back", adapter.name
            )
