"""Read replicas on real replication (a PostgreSQL hot standby, a MariaDB GTID replica):
reads go to the replica, writes never do, a client always sees its own writes, and a
replica that lags or dies is left out without a failed request."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager
from typing import Any

import httpx
import pytest

from tests.support.replication import MariaDBPair, PostgresPair
from tests.support.service import container, serve, settings

Pair = PostgresPair | MariaDBPair
TOKEN = "X-Consistency-Token"


@pytest.fixture(scope="module", params=["postgres", "mysql"])
def pair(request: pytest.FixtureRequest) -> Iterator[Pair]:
    kind = PostgresPair if request.param == "postgres" else MariaDBPair
    try:
        started: Pair = kind().start()
    except RuntimeError:  # a free port chosen can be taken before the server binds it: once more
        started = kind().start()
    yield started
    started.stop()


@asynccontextmanager
async def service(pair: Pair, max_lag_ms: int) -> AsyncIterator[httpx.AsyncClient]:
    replica_port = pair.standby_port if isinstance(pair, PostgresPair) else pair.replica_port
    db_type = "postgres" if isinstance(pair, PostgresPair) else "mysql"
    products_db = {
        "DB_TYPE": db_type,
        "CONNECTION_STRING": pair.url(),
        "READ_REPLICAS": f"127.0.0.1:{replica_port}",
        "MAX_REPLICA_LAG_MS": max_lag_ms,
        "REPLICA_CHECK_INTERVAL": 0.1,
        "CONNECT_TIMEOUT": 2,
    }
    async with serve(container(settings(DB_TYPE="memory", DATABASES={"products_db": products_db}))) as client:
        yield client


async def until(check: Callable[[], Any], what: str, attempts: int = 300) -> None:
    """Poll `check` (a coroutine function) every 0.1 s until it is true; at most 30 s."""
    for _ in range(attempts):
        if await check():
            return
        await asyncio.sleep(0.1)
    raise AssertionError(f"never: {what}")


async def replica(client: httpx.AsyncClient) -> dict[str, Any]:
    (state,) = (await client.get("/health")).json()["databases"]["products_db"]["replicas"]
    return dict(state)


async def untokened(client: httpx.AsyncClient, path: str) -> httpx.Response:
    client.cookies.clear()  # the token also travels as a cookie
    return await client.get(path)


async def create(client: httpx.AsyncClient, sku: str, name: str = "old") -> httpx.Response:
    response = await client.post("/products", json={"sku": sku, "name": name, "price": "1"})
    assert response.status_code == 201, response.text
    return response


async def replicated(client: httpx.AsyncClient, id: str) -> None:
    """Wait until the replica is in rotation and has the product: a read made while it
    was up before and after was its own (a replica that fails a read is marked down), so
    a replica's first lag of 0, measured before it replayed anything, cannot fool this."""

    seen: list[Any] = []

    async def caught_up() -> bool:
        before = await replica(client)
        seen[:] = [before]
        if before["status"] != "up":
            return False
        read = (await untokened(client, f"/products/{id}")).status_code
        after = await replica(client)
        seen[:] = [before, read, after]
        return bool(read == 200 and after["status"] == "up" and after["lag_ms"] == 0)

    try:
        await until(caught_up, f"product {id} on the replica")
    except AssertionError as error:
        raise AssertionError(f"{error}; last seen (replica, read, replica): {seen}") from None


async def test_reads_are_served_by_the_replica_and_writes_never(pair: Pair) -> None:
    async with service(pair, max_lag_ms=60_000) as client:
        ids = [(await create(client, f"read-{i}-{type(pair).__name__}")).json()["id"] for i in range(5)]
        await replicated(client, ids[-1])
        health = await replica(client)
        assert health["status"] == "up"
        assert health["lag_ms"] is not None
        before = pair.reads_on_standby()

        for id in ids * 6:
            assert (await untokened(client, f"/products/{id}")).status_code == 200

        async def counted() -> bool:
            return pair.reads_on_standby() - before >= 30

        await until(counted, "the replica counting the reads")  # its own statistics, not our say-so
    # Every write above succeeded; one sent to the replica would have been refused.
    assert pair.refuses_app_writes()


async def test_a_client_reads_its_own_writes_while_the_replica_is_behind(pair: Pair) -> None:
    async with service(pair, max_lag_ms=60_000) as client:
        first = (await create(client, f"ryw-a-{type(pair).__name__}")).json()
        await replicated(client, first["id"])
        pair.pause_replay()
        try:
            patched = await client.patch(f"/products/{first['id']}", json={"name": "new"})
            second = await create(client, f"ryw-b-{type(pair).__name__}")
            token, cookie = second.headers[TOKEN], client.cookies["consistency_token"]
            assert patched.headers[TOKEN]

            # Without the token, the replica answers with what it has: older data.
            assert (await untokened(client, f"/products/{first['id']}")).json()["name"] == "old"
            assert (await untokened(client, f"/products/{second.json()['id']}")).status_code == 404
            # With it, as a header or as the cookie, the client sees its writes.
            fresh = await client.get(f"/products/{first['id']}", headers={TOKEN: patched.headers[TOKEN]})
            assert fresh.json()["name"] == "new"
            client.cookies.clear()
            assert (
                await client.get(f"/products/{second.json()['id']}", headers={TOKEN: token})
            ).status_code == 200
            client.cookies.set("consistency_token", cookie)
            assert (await client.get(f"/products/{second.json()['id']}")).status_code == 200
            client.cookies.clear()
            primary = await client.get(f"/products/{second.json()['id']}", headers={"X-Read-From": "primary"})
            assert primary.status_code == 200
        finally:
            pair.resume_replay()
        await replicated(client, second.json()["id"])


async def test_a_replica_lagging_past_the_maximum_is_skipped_until_it_catches_up(pair: Pair) -> None:
    async with service(pair, max_lag_ms=300) as client:
        await replicated(client, (await create(client, f"lag-a-{type(pair).__name__}")).json()["id"])
        pair.pause_replay()
        try:
            behind = (await create(client, f"lag-b-{type(pair).__name__}")).json()

            async def lagging() -> bool:
                return bool((await replica(client))["status"] == "lagging")

            await until(lagging, "the replica reported lagging")
            assert (await replica(client))["lag_ms"] > 300
            # Out of rotation: even an untokened read goes to the primary and finds the row.
            assert (await untokened(client, f"/products/{behind['id']}")).status_code == 200
        finally:
            pair.resume_replay()

        async def back() -> bool:
            return bool((await replica(client))["status"] == "up")

        await until(back, "the replica back in rotation")


async def test_a_replica_killed_under_load_costs_no_failed_request(pair: Pair) -> None:
    async with service(pair, max_lag_ms=60_000) as client:
        id = (await create(client, f"kill-{type(pair).__name__}")).json()["id"]
        await replicated(client, id)
        client.cookies.clear()
        answered: list[int] = []

        async def reader() -> None:
            for _ in range(40):
                answered.append((await client.get(f"/products/{id}")).status_code)

        readers = [asyncio.create_task(reader()) for _ in range(8)]

        async def under_way() -> bool:
            return len(answered) >= 40

        await until(under_way, "reads under way")
        pair.kill_standby()
        await asyncio.gather(*readers)

        assert len(answered) == 320
        assert set(answered) == {200}
        assert (await replica(client))["status"] == "down"
        pair.start_standby()

        async def rejoined() -> bool:
            return bool((await replica(client))["status"] == "up")

        await until(rejoined, "the restarted replica back in rotation")
        # and replicating again, so that the tests after this one start from a working pair
        await replicated(client, (await create(client, f"after-restart-{type(pair).__name__}")).json()["id"])


async def test_an_expansion_reads_the_replica_under_the_same_read_your_writes_rule(pair: Pair) -> None:
    async with service(pair, max_lag_ms=60_000) as client:
        product = (await create(client, f"expand-{type(pair).__name__}")).json()
        event = await client.post("/events", json={"type": "view", "product_id": product["id"]})
        path = f"/events/{event.json()['id']}?expand=product"
        names = ["old"]
        # A replica can still leave the rotation between replicated() and the read (then
        # the primary answers with the new name): try again, bounded.
        for attempt in range(10):
            await replicated(client, product["id"])
            pair.pause_replay()
            try:
                names.append(f"new-{attempt}")
                patched = await client.patch(f"/products/{product['id']}", json={"name": names[-1]})
                untold = (await untokened(client, path)).json()
                told = (await client.get(path, headers={TOKEN: patched.headers[TOKEN]})).json()
            finally:
                pair.resume_replay()
            assert told["product"]["name"] == names[-1]  # the client's own write, whoever serves it
            if untold["product"]["name"] != names[-1]:
                break
        assert untold["product"]["name"] in names[:-1]  # only a replica behind has an older name
        await replicated(client, product["id"])
