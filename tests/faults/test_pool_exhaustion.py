"""More concurrent requests than products_db's pool holds: the connections are held
by requests waiting on a table lock taken from outside, the others queue for
POOL_TIMEOUT and answer 503; when the lock goes, the holders finish, and the pool,
measured, has nothing checked out."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from tests.contract.helpers import problem
from tests.faults.conftest import fresh_name
from tests.support.servers import MariaDBServer, PostgresServer
from tests.support.service import container, serve, settings

POOL_SIZE, MAX_OVERFLOW = 2, 1
REQUESTS = 12
POLLS = 300


async def _lock_products(server: Any, database: str) -> Callable[[], Any]:
    """Take a lock that blocks every read of `products` until the returned release."""
    if isinstance(server, PostgresServer):
        connection = await server.admin(database)
        transaction = connection.transaction()
        await transaction.start()
        await connection.execute("LOCK TABLE products IN ACCESS EXCLUSIVE MODE")

        async def release_postgres() -> None:
            await transaction.rollback()
            await connection.close()

        return release_postgres
    assert isinstance(server, MariaDBServer)
    connection = await server.admin(database)
    async with connection.cursor() as cursor:
        await cursor.execute("LOCK TABLES products WRITE")

    async def release_mariadb() -> None:
        async with connection.cursor() as cursor:
            await cursor.execute("UNLOCK TABLES")
        await connection.ensure_closed()

    return release_mariadb


@pytest.mark.parametrize(("kind", "server_fixture"), [("postgres", "own_postgres"), ("mysql", "own_mariadb")])
async def test_an_exhausted_pool_queues_then_answers_503_and_gives_every_connection_back(
    kind: str,
    server_fixture: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    figure: Callable[[str], None],
) -> None:
    server: Any = request.getfixturevalue(server_fixture)
    database = fresh_name("multidb_pool")
    url = await server.create_database(database)
    config = settings(
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        DATABASES={
            "products_db": {
                "DB_TYPE": kind,
                "CONNECTION_STRING": url,
                "POOL_SIZE": POOL_SIZE,
                "MAX_OVERFLOW": MAX_OVERFLOW,
                "POOL_TIMEOUT": 1,
                "QUERY_TIMEOUT": 60,  # the holders wait for the lock, not for this
            }
        },
    )
    built = container(config)
    async with serve(built) as client:
        assert (
            await client.post("/products", json={"sku": "p", "name": "P", "price": "1"})
        ).status_code == 201
        adapter = built.databases.products_db()
        release = await _lock_products(server, database)
        try:
            requests = [asyncio.create_task(client.get("/products")) for _ in range(REQUESTS)]
            # The queued ones answer after POOL_TIMEOUT; the holders are still waiting.
            for _ in range(POLLS):
                if sum(task.done() for task in requests) >= REQUESTS - POOL_SIZE - MAX_OVERFLOW:
                    break
                await asyncio.sleep(0.1)
            full = adapter.checked_out()
            early = [task.result() for task in requests if task.done()]
        finally:
            await release()
        async with asyncio.timeout(60):  # a guard against a deadlock, not a timing claim
            answers = await asyncio.gather(*requests)
        for _ in range(POLLS):
            if adapter.checked_out() == 0:
                break
            await asyncio.sleep(0.1)
        after = adapter.checked_out()
        assert (await client.get("/products")).status_code == 200

    assert full == POOL_SIZE + MAX_OVERFLOW
    assert len(early) == REQUESTS - POOL_SIZE - MAX_OVERFLOW
    for answer in early:
        assert "POOL_TIMEOUT" in problem(answer, 503)["detail"]
    assert sorted(answer.status_code for answer in answers) == sorted(
        [200] * (POOL_SIZE + MAX_OVERFLOW) + [503] * len(early)
    )
    assert after == 0
    figure(
        f"{kind}: {REQUESTS} concurrent requests on a pool of {POOL_SIZE}+{MAX_OVERFLOW}: "
        f"{len(early)} x 503 after POOL_TIMEOUT, {POOL_SIZE + MAX_OVERFLOW} x 200 once the lock went; "
        f"adapter.checked_out() {full} at the peak, {after} after"
    )
