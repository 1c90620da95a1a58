from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

from fastapi import FastAPI

from app.adapters.interface import DatabaseAdapter
from app.errors import Unavailable
from containers.databases import (
    Placement,
    adapters_by_name,
    bindings,
    placements,
    shared_resources,
    unserved_resources,
)

logger = logging.getLogger("multidb")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open one pool per named database, check each schema against its migrations
    (upgrading it where AUTO_MIGRATE allows), and close the pools at exit. A database
    that is down does not stop the start: its routes answer 503 until it is back."""
    container = app.state.container
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


def _log_routes(container: Any) -> None:
    configured = set(container.settings().database_configs())
    adapters = adapters_by_name(container.databases)
    for binding in bindings(container):
        adapter = adapters[binding.database]
        fallback = (
            ""
            if binding.database in configured or adapter.members
            else "  (not configured: falls back to default)"
        )
        where = (
            adapter.config.describe()
            if not adapter.members
            else f"{adapter.db_type} of {', '.join(_member_names(adapter))}"
        )
        logger.info("route /%s -> %s -> %s%s", binding.resource.name, binding.database, where, fallback)


def _log_shared(container: Any) -> None:
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


def _member_names(adapter: DatabaseAdapter) -> list[str]:
    """Each member's database, after its key where that differs (a tenant: acme -> acme_db)."""
    return [
        key if key == member.name else f"{key} -> {member.name}" for key, member in adapter.members.items()
    ]


def _by_identity(found: list[Placement]) -> list[list[DatabaseAdapter]]:
    """Adapters grouped by the physical database they reach: one group is migrated
    by one adapter after another, never two at once."""
    groups: dict[str, list[DatabaseAdapter]] = defaultdict(list)
    for placement in found:
        if placement.resources:
            groups[placement.adapter.identity].append(placement.adapter)
    return list(groups.values())


async def _check_schemas(adapters: list[DatabaseAdapter]) -> None:
    for adapter in adapters:
        try:
            await adapter.check_schema()
        except Unavailable:
            logger.warning(
                "database %s is down at startup; its routes answer 503 until it is back", adapter.name
            )
