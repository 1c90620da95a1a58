from __future__ import annotations

import asyncio
import logging
from collections import defaultdict
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, nullcontext, suppress

from fastapi import FastAPI

from app.adapters.interface import Store
from app.connection_budget import log_connection_budget
from app.errors import Unavailable
from app.routing_table import routing_table
from app.schema_watch import watch_schemas
from containers import Container
from containers.databases import Placement, placements, shared_resources, unserved_resources
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
        for line in routing_table(container):
            logger.info(line)
        _log_shared(container)
        settings = container.settings()
        groups = _by_identity(found)
        # Said once, by the launcher, for every worker: not again by each of them.
        budget = [] if settings.in_worker else [log_connection_budget(found, settings.WORKERS)]
        await asyncio.gather(*(_check_schemas(group) for group in groups), *budget)
        watch = asyncio.create_task(watch_schemas(groups, settings.SCHEMA_CHECK_INTERVAL))
        try:
            async with _sampling(container):
                yield
        finally:
            watch.cancel()
            with suppress(asyncio.CancelledError):
                await watch
    finally:
        for placement in found:
            await placement.adapter.disconnect()


@asynccontextmanager
async def _sampling(container: Container) -> AsyncIterator[None]:
    """Pools, replicas and members sampled into the metrics every METRICS_SAMPLE_SECONDS,
    by each worker process (/metrics samples its own worker's as it answers); with several
    workers, each one's per-request values flushed for the others' scrapes (Metrics.flushed)."""
    observer, interval = container.observer(), container.settings().METRICS_SAMPLE_SECONDS
    adapters = adapters_by_name(container.databases)

    async def sample() -> None:
        while True:
            try:
                observer.sample(adapters)
            except Exception:  # a bug here must not stop the sampling for good
                logger.exception("sampling the pools and replicas for the metrics failed")
            await asyncio.sleep(interval)

    task = asyncio.create_task(sample(), name="metrics sampling")
    metrics = observer.metrics
    try:
        async with metrics.flushed() if metrics is not None else nullcontext():
            yield
    finally:
        task.cancel()
        with suppress(asyncio.CancelledError):
            await task


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
        except Unavailable:  # the adapter's warning said why
            logger.info("database %s: its routes answer 503 until it answers", adapter.name)
