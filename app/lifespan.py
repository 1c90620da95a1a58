from __future__ import annotations

import asyncio
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager

from fastapi import FastAPI

from app.adapters.interface import DatabaseAdapter
from app.errors import Unavailable
from containers.databases import Binding, adapters_by_name, bindings

logger = logging.getLogger("multidb")


@asynccontextmanager
async def lifespan(app: FastAPI) -> AsyncIterator[None]:
    """Open one pool per physical database, create what is missing, close them at exit.
    A database that is down does not stop the start: its routes answer 503 until it is back."""
    container = app.state.container
    adapters = adapters_by_name(container.databases)
    distinct = list({id(adapter): adapter for adapter in adapters.values()}.values())
    for adapter in distinct:
        await adapter.connect()
    try:
        routes = bindings(container)
        configured = container.settings().database_configs()
        for binding in routes:
            adapter = adapters[binding.database]
            fallback = "" if binding.database in configured else "  (not configured: falls back to default)"
            logger.info(
                "route /%s -> %s -> %s%s",
                binding.resource.name,
                binding.database,
                adapter.config.describe(),
                fallback,
            )
        await asyncio.gather(*(_prepare(adapters[b.database], b) for b in routes))
        yield
    finally:
        for adapter in distinct:
            await adapter.disconnect()


async def _prepare(adapter: DatabaseAdapter, binding: Binding) -> None:
    try:
        await adapter.prepare(binding.resource)
    except Unavailable:
        logger.warning(
            "/%s: database %s is down at startup; its routes answer 503 until it is back",
            binding.resource.name,
            binding.database,
        )
