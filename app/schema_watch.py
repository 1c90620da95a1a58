"""The schema of every database, checked again every SCHEMA_CHECK_INTERVAL seconds while
the service runs, even one found current: a table or collection dropped under it, or its
database dropped and created again empty, is then `schema_behind` (its routes 503 with the
command to run, /health says so) instead of failing, or, on MongoDB, of answering nothing."""

from __future__ import annotations

import asyncio
import logging

from app.adapters.interface import Store
from app.errors import DomainError

logger = logging.getLogger("multidb")


async def watch_schemas(groups: list[list[Store]], interval: float) -> None:
    while True:
        await asyncio.sleep(interval)
        await asyncio.gather(*(_check_again(group) for group in groups))


async def _check_again(adapters: list[Store]) -> None:
    for adapter in adapters:  # one physical database: one check at a time
        try:
            await adapter.check_schema(again=True)
        except DomainError:  # unavailable: its warning said why, its routes answer 503
            pass
        except Exception:
            logger.exception("database %s: the schema check failed", adapter.name)
