"""Replica metrics on real replication (a PostgreSQL hot standby, a MariaDB GTID replica):
each replica's lag and whether it is in rotation, as /health tells them."""

from __future__ import annotations

import asyncio

from tests.support.metrics import scrape
from tests.test_replicas import Pair, pair, replica, service, until

__all__ = ["pair"]  # the fixture, shared with tests/test_replicas.py


async def test_replica_lag_and_rotation_follow_a_paused_replica(pair: Pair) -> None:
    db_type = "postgres" if pair.__class__.__name__ == "PostgresPair" else "mysql"
    labels = {"database": "products_db", "type": db_type, "replica": "products_db replica 1"}
    async with service(pair, max_lag_ms=300) as client:

        async def in_rotation() -> bool:
            return (await scrape(client)).value("multidb_db_replica_in_rotation", **labels) == 1

        await until(in_rotation, "the replica in rotation")
        assert (await scrape(client)).value("multidb_db_replica_lag_seconds", **labels) < 0.3
        pair.pause_replay()
        try:
            for i in range(5):  # writes the replica does not replay
                response = await client.post("/products", json={"sku": f"lag-{i}", "name": "L", "price": "1"})
                assert response.status_code == 201
                await asyncio.sleep(0.1)

            async def out_of_rotation() -> bool:
                return (await scrape(client)).value("multidb_db_replica_in_rotation", **labels) == 0

            await until(out_of_rotation, "the paused replica out of rotation")
            scraped = await scrape(client)
            lag = scraped.value("multidb_db_replica_lag_seconds", **labels)
            assert lag > 0.3
            assert (await replica(client))["status"] == "lagging"  # as /health says
        finally:
            pair.resume_replay()
        await until(in_rotation, "the replica back in rotation")
