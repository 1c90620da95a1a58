"""products_db's server, one of the test's own, is killed and restarted at least 20 times
at seeded random moments, and frozen now and then, under a mixed load: reads, writes, a
unit of work and an ?expand= that reaches it. Not one answer is a 500 or a broken
connection, every failure is a 503 problem+json with Retry-After, the service answers
within 5 s of the server accepting connections again, no acknowledged write is missing
(read back through the database's own driver), and no connection is left checked out.

CHAOS_SEED=<n> replays a run's moments (the seed is printed with the figures)."""

from __future__ import annotations

import asyncio
import gc
import os
import random
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import pytest

from app.adapters.interface import Store
from app.adapters.mongodb.adapter import MongoAdapter
from app.adapters.sql.adapter import SQLAdapter
from tests.support import backends, stored
from tests.support.chaos import RECOVERY_LIMIT, Chaos, unit_of_work_router
from tests.support.servers import MariaDBServer, PostgresServer, SecantusServer, Server, ServerUnavailable
from tests.support.service import container, serve, settings

WORKERS = 6
KILLS = 20
FREEZES = 4
SERVERS: dict[str, type[Server]] = {
    "postgres": PostgresServer,
    "mysql": MariaDBServer,
    "mongodb": SecantusServer,
}


@asynccontextmanager
async def own_server(backend: str) -> AsyncIterator[Server]:
    try:
        server = SERVERS[backend]()
        server.spawn()
        await server.until_ready()
    except ServerUnavailable as error:
        backends.unavailable(backend, f"cannot run a server of the test's own: {error}")
    try:
        yield server
    finally:
        await server.stop()
        server.remove()


async def database_of(server: Server, name: str) -> dict[str, Any]:
    """products_db's settings on `server`: a fresh database, and timeouts short enough
    that a frozen server costs a request 2 s at most."""
    timeouts = {
        "CONNECT_TIMEOUT": 1,
        "QUERY_TIMEOUT": 2,
        "POOL_TIMEOUT": 1,
        "POOL_SIZE": 4,
        "MAX_OVERFLOW": 4,
    }
    if isinstance(server, PostgresServer | MariaDBServer):
        url = await server.create_database(name)
        return {"DB_TYPE": "postgres" if isinstance(server, PostgresServer) else "mysql",
                "CONNECTION_STRING": url, **timeouts}  # fmt: skip
    return {"DB_TYPE": "mongodb", "CONNECTION_STRING": server.url, "DB_NAME": name, **timeouts}


def checked_out(adapter: Store) -> int:
    if isinstance(adapter, SQLAdapter):
        return adapter.checked_out()
    assert isinstance(adapter, MongoAdapter)
    assert adapter._client is not None
    servers = adapter._client._topology._servers.values()
    return sum(int(server.pool.active_sockets) for server in servers)


@pytest.mark.parametrize("backend", ["postgres", "mysql", "mongodb"])
async def test_a_server_killed_and_frozen_at_random_costs_only_503s(
    backend: str, tmp_path: Path, figure: Callable[[str], None]
) -> None:
    seed = int(os.environ.get("CHAOS_SEED") or random.randrange(2**31))
    name = f"multidb_chaos_{backend}"
    async with own_server(backend) as server:
        products_db = await database_of(server, name)
        config = settings(
            DB_TYPE="sqlite",
            DB_NAME=str(tmp_path / "primary.db"),
            RETRY_AFTER_SECONDS=1,
            DATABASES={
                "products_db": products_db,
                "analytics_db": {"DB_TYPE": "sqlite", "DB_NAME": str(tmp_path / "analytics.db")},
            },
        )
        built = container(config)
        async with serve(built, unit_of_work_router(built.products)) as client:
            chaos = Chaos(client, server, seed, kills=KILLS, freezes=FREEZES)
            await chaos.seed_rows()
            workers = [asyncio.create_task(chaos.worker(n)) for n in range(WORKERS)]
            try:
                await chaos.faults()
            finally:
                chaos.stopped = True
                await asyncio.gather(*workers)
                await server.ensure_running()
            adapter = built.databases.products_db()
            left_checked_out = checked_out(adapter)
        gc.collect()  # a connection left to the collector warns now, and warnings are errors
        stocks = await stored.product_stocks(
            backend, products_db["CONNECTION_STRING"], chaos.created_ids(), name
        )

    said = f"(CHAOS_SEED={seed})"
    wrong = chaos.unexpected()
    assert not wrong, f"{said} {len(wrong)} wrong answers, e.g. {[o.describe() for o in wrong[:5]]}"
    assert not chaos.slow_recoveries, f"{said} no answer within {RECOVERY_LIMIT}s of the server's return"
    assert left_checked_out == 0, said
    missing = [id for id in chaos.created_ids() if id not in stocks]
    assert not missing, f"{said} acknowledged but not stored: {missing[:5]}"
    # A change acknowledged is kept; one that failed with a 503 may still have committed.
    behind = [id for id in chaos.created_ids() if stocks[id] < chaos.stock[str(id)]]
    assert not behind, f"{said} acknowledged changes lost: {behind[:5]}"

    statuses = chaos.statuses()
    ok = sum(n for (op, status), n in statuses.items() if status != 503)
    failed = sum(n for (_, status), n in statuses.items() if status == 503)
    figure(
        f"seed {seed}: {KILLS} kills + {FREEZES} freezes of {backend} under {WORKERS} workers; "
        f"{len(chaos.outcomes)} requests: {ok} answered, {failed} x 503 problem+json with Retry-After, "
        f"0 x 500, 0 broken; {chaos.expand_failed()} expansions degraded to X-Expand-Failed; "
        f"answering again {max(chaos.recoveries):.2f}s at worst (median "
        f"{sorted(chaos.recoveries)[len(chaos.recoveries) // 2]:.2f}s) after the server accepted "
        f"connections; {len(chaos.created)} acknowledged products, 0 missing; 0 connections checked out"
    )
