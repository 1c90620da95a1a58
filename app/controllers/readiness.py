"""Whether this instance should be sent traffic: every REQUIRED database answers and its
schema is at head. An orchestrator's readiness probe asks this; /health tells the detail."""

from __future__ import annotations

import asyncio

from app.adapters.interface import DatabaseAdapter, Store
from settings import Settings


class ReadinessController:
    def __init__(self, adapters: dict[str, DatabaseAdapter], settings: Settings) -> None:
        # A composite (shards, tenants) is ready when its members are: each is a named
        # database of its own, and one adapter may stand under several names.
        stores = {id(a): a for a in adapters.values() if isinstance(a, Store) and a.config.REQUIRED}
        self._required = list(stores.values())
        self._timeout = settings.HEALTH_TIMEOUT

    async def ready(self) -> bool:
        return all(await asyncio.gather(*(self._at_head(store) for store in self._required)))

    async def _at_head(self, store: Store) -> bool:
        try:
            async with asyncio.timeout(self._timeout):
                await store.ping()
                # Not looked at yet (down at startup), or behind: the check a request would
                # make, made here too, since a probe that fails gets this instance no
                # requests (a schema found behind is looked at again now and then, not
                # each time).
                state = store.schema if store.schema == "current" else await store.check_schema()
        except Exception:  # any failure to answer is "not ready"; the adapter logged why
            return False
        return state == "current"
