"""/metrics on real databases: each operation counted by database, type, operation and
outcome at the one point every backend goes through; HTTP requests by route template;
pools, availability and composites' members; who may read it."""

from __future__ import annotations

import asyncio
import random
from collections.abc import AsyncIterator
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import httpx
import pytest

from tests.contract.helpers import create
from tests.support import backends
from tests.support.metrics import Scrape, scrape
from tests.support.proxy import Proxy
from tests.support.service import container, serve, settings

OPERATION = "multidb_db_operation_duration_seconds_count"
BACKENDS = ("postgres", "mysql", "mongodb", "sqlite")  # the driver path, and SQLAlchemy's


async def products_db(request: pytest.FixtureRequest, backend: str) -> dict[str, Any]:
    """DATABASES__products_db__* on a fresh database of `backend`."""
    return await backends.fresh_database(request, backend, "metrics")


@pytest.fixture(scope="module", params=BACKENDS)
async def measured(request: pytest.FixtureRequest) -> AsyncIterator[tuple[httpx.AsyncClient, str]]:
    config = await products_db(request, request.param)
    async with serve(container(settings(DB_TYPE="memory", DATABASES={"products_db": config}))) as client:
        yield client, request.param


def operations(scraped: Scrape, backend: str) -> dict[tuple[str, str], float]:
    counts = scraped.matching(OPERATION, database="products_db", type=backend)
    return {(dict(key)["operation"], dict(key)["outcome"]): value for key, value in counts.items()}


def changed(before: dict[Any, float], after: dict[Any, float]) -> dict[Any, float]:
    return {key: after[key] - before.get(key, 0) for key in after if after[key] != before.get(key, 0)}


async def test_every_operation_is_counted_by_operation_and_outcome(
    measured: tuple[httpx.AsyncClient, str],
) -> None:
    client, backend = measured
    before = await scrape(client)
    sku = f"sku-{uuid4().hex[:8]}"
    product = await create(client, "/products", sku=sku, name="P", price="1.50")
    assert (await client.post("/products", json={"sku": sku, "name": "Q", "price": "2"})).status_code == 409
    assert (await client.get(f"/products/{product['id']}")).status_code == 200
    assert (await client.get(f"/products/{uuid4()}")).status_code == 404
    assert (await client.get("/products", params={"limit": 5})).status_code == 200
    assert (await client.patch(f"/products/{product['id']}", json={"name": "R"})).status_code == 200
    assert (await client.delete(f"/products/{product['id']}")).status_code == 204
    assert (await client.delete(f"/products/{product['id']}")).status_code == 404
    after = await scrape(client)

    counted = changed(operations(before, backend), operations(after, backend))
    for operation, outcome in [("insert", "ok"), ("insert", "conflict"), ("list", "ok"), ("update", "ok")]:
        assert counted.pop((operation, outcome)) == 1, (operation, outcome, counted)
    assert counted.pop(("get", "ok")) >= 1
    assert counted.pop(("get", "not_found")) >= 1
    assert counted.pop(("delete", "ok")) == 1
    assert counted.pop(("delete", "not_found")) == 1
    # A single write is one statement, in no unit of work; where a backend makes an update a
    # unit of work of its own (MariaDB reads the row back in it), that is counted once.
    assert counted.pop(("transaction", "ok"), 0) <= 1
    assert counted == {}, f"operations not asked for were counted: {counted}"
    # The duplicate is one error.
    labels = {"database": "products_db", "type": backend}
    errors = "multidb_db_errors_total"
    assert (
        after.value(errors, **labels, kind="conflict") - before.value(errors, **labels, kind="conflict") == 1
    )
    assert after.value("multidb_db_up", **labels) == 1
    seconds = "multidb_db_operation_duration_seconds_sum"
    assert after.value(seconds, **labels, operation="insert", outcome="ok") > 0


async def test_requests_are_counted_by_method_route_template_and_status(
    measured: tuple[httpx.AsyncClient, str],
) -> None:
    client, _ = measured
    requests = "http_server_request_duration_seconds_count"
    before = await scrape(client)
    ids = [uuid4() for _ in range(3)]
    for id in ids:
        assert (await client.get(f"/products/{id}")).status_code == 404
    assert (await client.get("/no/such/path")).status_code == 404
    after = await scrape(client)
    route = {"method": "GET", "route": "/products/{id}", "status": "404"}
    assert after.value(requests, **route) - before.value(requests, **route) == 3
    unmatched = {"method": "GET", "route": "", "status": "404"}
    assert after.value(requests, **unmatched) - before.value(requests, **unmatched) == 1
    assert not any(str(id) in dict(key)["route"] for key in after.matching(requests)), (
        "a raw path became a label"
    )
    # The scrape that answers is itself in flight.
    assert after.value("http_server_active_requests", method="GET") == 1


@pytest.mark.parametrize("backend", ["postgres", "mysql", "sqlite"])
async def test_pool_gauges_count_connections_out_overflow_and_waiting(
    request: pytest.FixtureRequest, backend: str
) -> None:
    config = {**await products_db(request, backend), "POOL_SIZE": 1, "MAX_OVERFLOW": 1, "POOL_TIMEOUT": 10}
    built = container(settings(DB_TYPE="memory", DATABASES={"products_db": config}))
    async with serve(built) as client:
        adapter = built.databases.products_db()
        labels = {"database": "products_db", "type": backend}
        idle = await scrape(client)
        assert idle.value("multidb_db_pool_size", **labels) == 1
        assert idle.value("multidb_db_pool_checked_out", **labels) == 0
        release = asyncio.Event()

        async def hold(entered: asyncio.Event) -> None:
            async with adapter.transaction():
                entered.set()
                await release.wait()

        holding = [
            asyncio.Event() for _ in range(3)
        ]  # two connections (POOL_SIZE + MAX_OVERFLOW), one waiting
        tasks = [asyncio.create_task(hold(entered)) for entered in holding]
        await asyncio.wait_for(asyncio.gather(holding[0].wait(), holding[1].wait()), 10)
        await asyncio.sleep(0.05)  # the third is queued at the gate by now
        busy = await scrape(client)
        assert busy.value("multidb_db_pool_checked_out", **labels) == 2
        assert busy.value("multidb_db_pool_overflow", **labels) == 1
        assert busy.value("multidb_db_pool_waiting", **labels) == 1
        release.set()
        await asyncio.wait_for(asyncio.gather(*tasks), 10)
        done = await scrape(client)
        assert done.value("multidb_db_pool_checked_out", **labels) == 0
        assert done.value("multidb_db_pool_waiting", **labels) == 0


async def test_mongodb_pool_is_counted_from_pymongos_pool_events(request: pytest.FixtureRequest) -> None:
    config = {**await products_db(request, "mongodb"), "POOL_SIZE": 2}
    built = container(settings(DB_TYPE="memory", DATABASES={"products_db": config}))
    async with serve(built) as client:
        labels = {"database": "products_db", "type": "mongodb"}
        await asyncio.gather(*(client.get(f"/products/{uuid4()}") for _ in range(20)))
        scraped = await scrape(client)
        assert scraped.value("multidb_db_pool_size", **labels) == 2
        assert scraped.value("multidb_db_pool_checked_out", **labels) == 0  # every check-out came back
        assert scraped.value("multidb_db_pool_waiting", **labels) == 0
        adapter = built.databases.products_db()
        checked_out = []
        original = adapter._pool_watch.connection_checked_out

        def noting(event: Any) -> None:
            original(event)
            checked_out.append(adapter.pool_use().in_use)

        adapter._pool_watch.connection_checked_out = noting
        await asyncio.gather(*(client.get(f"/products/{uuid4()}") for _ in range(10)))
        assert max(checked_out, default=0) >= 1  # counted while out


async def answering(client: httpx.AsyncClient) -> None:
    """Until products_db answers (a GET of no product: 404), for 5 s at most."""
    for _ in range(50):
        if (await client.get(f"/products/{uuid4()}")).status_code == 404:
            return
        await asyncio.sleep(0.1)


def through(proxy: Proxy, url: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(netloc=f"{parts.username or 'root'}@127.0.0.1:{proxy.port}"))


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
async def test_availability_and_outcomes_follow_a_database_that_goes_and_comes_back(
    request: pytest.FixtureRequest, backend: str
) -> None:
    """Cut and restored at seeded random moments, several times: each failure is counted as
    unavailable (refused) or timeout (hanging), and multidb_db_up follows."""
    config = await products_db(request, backend)
    target = urlsplit(config["CONNECTION_STRING"])
    proxy = Proxy(target.hostname or "127.0.0.1", target.port or 0)
    await proxy.up()
    config = {**config, "CONNECTION_STRING": through(proxy, config["CONNECTION_STRING"]),
              "QUERY_TIMEOUT": 1, "CONNECT_TIMEOUT": 1}  # fmt: skip
    labels = {"database": "products_db", "type": backend}
    rng = random.Random(15)
    try:
        async with serve(container(settings(DB_TYPE="memory", DATABASES={"products_db": config}))) as client:
            # A hang after a cut: the pool's free connections are dead, and the new one it opens
            # is never answered (MariaDB's checkout once waited for ever here).
            faults = ["down", "hang"] * 2
            rng.shuffle(faults)
            await answering(client)  # the schema upgraded at startup, which a 1s limit may outlast
            for round, fault in enumerate(faults):
                for _ in range(rng.randint(1, 5)):
                    assert (await client.get(f"/products/{uuid4()}")).status_code == 404
                assert (await scrape(client)).value("multidb_db_up", **labels) == 1
                before = await scrape(client)
                await proxy.down()  # the pool's connections are cut too
                if fault == "hang":
                    await proxy.hang()
                async with asyncio.timeout(10):  # a guard, not a timing claim: it once never ended
                    assert (await client.get(f"/products/{uuid4()}")).status_code == 503
                after = await scrape(client)
                outcome = "unavailable" if fault == "down" else "timeout"
                key = {**labels, "operation": "get", "outcome": outcome}
                assert after.value(OPERATION, **key) - before.value(OPERATION, **key) >= 1, (round, fault)
                errors = after.value("multidb_db_errors_total", **labels, kind=outcome)
                assert errors - before.value("multidb_db_errors_total", **labels, kind=outcome) >= 1
                assert after.value("multidb_db_up", **labels) == 0, (round, fault)
                await proxy.down()
                await proxy.up()
                await answering(client)  # the pool has a working connection again
                assert (await scrape(client)).value("multidb_db_up", **labels) == 1, round
    finally:
        await proxy.close()


async def test_shard_and_tenant_members_are_reported_under_their_own_names(
    request: pytest.FixtureRequest, postgres_url: str
) -> None:
    urls = {name: backends.sibling(postgres_url, f"metrics_{name}") for name in ("shard_a", "shard_b")}
    for url in urls.values():
        await backends.recreate_postgres_database(url)
    proxy = Proxy(urlsplit(postgres_url).hostname or "127.0.0.1", urlsplit(postgres_url).port or 5432)
    await proxy.up()
    cut = through(proxy, urls["shard_b"])
    databases = {
        "shard_a": {"DB_TYPE": "postgres", "CONNECTION_STRING": urls["shard_a"]},
        "shard_b": {
            "DB_TYPE": "postgres",
            "CONNECTION_STRING": cut,
            "CONNECT_TIMEOUT": 1,
            "QUERY_TIMEOUT": 2,
        },
    }
    config = settings(DB_TYPE="memory", DATABASES=databases, SHARDS={"analytics_db": "shard_a,shard_b"},
                      TENANTS={"acme": "shard_a", "globex": "shard_b"}, TENANT_SELECTED="products_db",
                      TENANT_SHARED="events")  # fmt: skip
    try:
        async with serve(container(config)) as client:
            assert (await client.get("/events", params={"limit": 5})).status_code == 200
            for tenant in ("acme", "globex"):
                assert (await client.get("/products", headers={"X-Tenant": tenant})).status_code == 200
            scraped = await scrape(client)
            for composite, db_type in (("analytics_db", "sharded"), ("products_db", "tenant-selected")):
                members = scraped.matching("multidb_db_member_up", database=composite, type=db_type)
                assert sorted(dict(key)["member"] for key in members) == (
                    ["shard_a", "shard_b"] if composite == "analytics_db" else ["acme", "globex"]
                )
                assert set(members.values()) == {1}
            await proxy.down()
            assert (await client.get("/events", params={"limit": 5})).status_code == 503
            scraped = await scrape(client)
            assert scraped.value("multidb_db_up", database="shard_b", type="postgres") == 0
            assert (
                scraped.value(
                    "multidb_db_member_up", database="analytics_db", type="sharded", member="shard_b"
                )
                == 0
            )
            assert (
                scraped.value(
                    "multidb_db_member_up", database="analytics_db", type="sharded", member="shard_a"
                )
                == 1
            )
            assert (
                scraped.value(
                    "multidb_db_member_up", database="products_db", type="tenant-selected", member="globex"
                )
                == 0
            )
            assert (
                scraped.value(
                    "multidb_db_member_up", database="products_db", type="tenant-selected", member="acme"
                )
                == 1
            )
    finally:
        await proxy.close()
