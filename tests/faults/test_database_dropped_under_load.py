"""products_db's table or collection, or its whole database, is dropped while the service
runs under a mixed load, at seeded random moments, several times, on PostgreSQL, MariaDB
and the MongoDB-wire server (where a dropped collection answers reads with nothing, so only
the periodic schema check can tell). Each time: /health says schema_behind within a few
schema checks, the products routes answer 503 naming the command to run, an ?expand= of
products degrades to X-Expand-Failed, not one answer is a 500 or a broken connection; and
that command, run from the shell, brings the routes back without a restart.

CHANGES_SEED=<n> replays a run's moments (the seed is printed)."""

from __future__ import annotations

import asyncio
import os
import random
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from app import cli
from tests.support import backends
from tests.support.service import container, serve, settings

ROUNDS = 4
WORKERS = 4
CHECK_INTERVAL = 0.2
POLL_LIMIT = 15.0  # seconds: a bounded wait, never a timing claim
COMMAND = "python -m app db upgrade --database products_db"


@dataclass
class Target:
    """products_db's database on `backend`, and how to take its schema away."""

    backend: str
    url: str
    name: str

    @property
    def settings(self) -> dict[str, Any]:
        config: dict[str, Any] = {"DB_TYPE": self.backend, "CONNECTION_STRING": self.url}
        if self.backend == "mongodb":
            config["DB_NAME"] = self.name
        # Short bounds, so that a request never waits long on a database in flux.
        return {**config, "AUTO_MIGRATE": False, "CONNECT_TIMEOUT": 1, "QUERY_TIMEOUT": 3, "POOL_SIZE": 3}

    async def create(self) -> None:
        if self.backend == "postgres":
            await backends.recreate_postgres_database(self.url)
        elif self.backend == "mysql":
            await backends.recreate_mysql_database(self.url)

    async def drop_database(self) -> None:
        if self.backend == "postgres":
            await backends.recreate_postgres_database(self.url, create=False)
        elif self.backend == "mysql":
            await backends.recreate_mysql_database(self.url, create=False)
        else:
            await self._mongo(lambda client: client.drop_database(self.name))

    async def drop_table(self) -> None:
        if self.backend == "mongodb":
            await self._mongo(lambda client: client[self.name].drop_collection("products"))
            return
        from sqlalchemy.ext.asyncio import create_async_engine

        from app.adapters.sql.dialects import url_for
        from settings import DatabaseConfig

        engine = create_async_engine(url_for(DatabaseConfig.model_validate(self.settings)))
        try:
            async with engine.begin() as connection:
                await connection.exec_driver_sql("DROP TABLE products")
        finally:
            await engine.dispose()

    async def _mongo(self, work: Callable[[Any], Awaitable[Any]]) -> None:
        from pymongo import AsyncMongoClient

        client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(self.url, serverSelectionTimeoutMS=5000)
        try:
            await work(client)
        finally:
            await client.close()


@dataclass
class Load:
    client: httpx.AsyncClient
    products: list[str]
    events: list[str]
    seen: list[tuple[str, int | None, httpx.Response | None]] = field(default_factory=list)
    stopped: bool = False

    async def worker(self, rng: random.Random) -> None:
        while not self.stopped:
            operation = rng.choice(["get", "list", "post", "expand"])
            if operation == "get":
                await self._call(operation, "GET", f"/products/{rng.choice(self.products)}")
            elif operation == "list":
                await self._call(operation, "GET", "/products")
            elif operation == "post":
                body = {"sku": f"load-{rng.getrandbits(64):x}", "name": "load", "price": "1.00"}
                await self._call(operation, "POST", "/products", json=body)
            else:
                event = rng.choice(self.events)
                await self._call(operation, "GET", f"/events/{event}", params={"expand": "product"})
            await asyncio.sleep(rng.uniform(0, 0.01))

    async def _call(self, operation: str, method: str, path: str, **kwargs: Any) -> None:
        try:
            response = await self.client.request(method, path, **kwargs)
        except Exception:  # a broken connection, or an exception out of the app
            self.seen.append((operation, None, None))
            return
        self.seen.append((operation, response.status_code, response))


async def until(check: Callable[[], Awaitable[bool]], what: str) -> None:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + POLL_LIMIT
    while not await check():
        assert loop.time() < deadline, f"not within {POLL_LIMIT:g}s: {what}"
        await asyncio.sleep(0.05)


async def products_health(client: httpx.AsyncClient) -> dict[str, Any]:
    health: dict[str, Any] = (await client.get("/health")).json()["databases"]["products_db"]
    return health


def upgrade_from_the_shell() -> int:
    return cli.main(["upgrade", "--database", "products_db"])


@pytest.mark.parametrize("backend", ["postgres", "mysql", "mongodb"])
async def test_a_database_dropped_under_load_is_schema_behind_never_a_500(
    backend: str,
    request: pytest.FixtureRequest,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    figure: Callable[[str], None],
) -> None:
    seed = int(os.environ.get("CHANGES_SEED") or random.randrange(2**31))
    rng = random.Random(seed)
    location = request.getfixturevalue(f"{backend}_url")
    name = f"multidb_dropped_{os.getpid()}"
    url = location if backend == "mongodb" else backends.sibling(location, "dropped")
    target = Target(backend, url, name)
    await target.create()
    primary = str(tmp_path / "primary.db")
    # The shell's environment, for the command the 503 names.
    monkeypatch.setenv("DB_TYPE", "sqlite")
    monkeypatch.setenv("DB_NAME", primary)
    for key, value in target.settings.items():
        monkeypatch.setenv(f"DATABASES__products_db__{key}", str(value))
    assert await asyncio.to_thread(upgrade_from_the_shell) == 0
    config = settings(
        DB_TYPE="sqlite",
        DB_NAME=primary,
        SCHEMA_CHECK_INTERVAL=CHECK_INTERVAL,
        DATABASES={"products_db": target.settings},
    )
    kinds: Counter[str] = Counter()
    async with serve(container(config)) as client:
        products, events = [], []
        for n in range(3):
            body = {"sku": f"seed-{n}", "name": "seed", "price": "1.00"}
            products.append((await client.post("/products", json=body)).json()["id"])
            events.append(
                (await client.post("/events", json={"type": "t", "product_id": products[-1]})).json()["id"]
            )
        load = Load(client, products, events)
        workers = [asyncio.create_task(load.worker(random.Random(seed * 100 + n))) for n in range(WORKERS)]
        try:
            order = ["table", "database"] * (ROUNDS // 2)
            rng.shuffle(order)
            for kind in order:
                await asyncio.sleep(rng.uniform(0.05, 0.6))
                kinds[kind] += 1
                if kind == "table":
                    await target.drop_table()
                else:
                    await target.drop_database()
                    await asyncio.sleep(rng.uniform(0, 0.5))
                    await target.create()

                async def behind() -> bool:
                    return bool((await products_health(client))["status"] == "schema_behind")

                await until(behind, f"/health says products_db is schema_behind after a dropped {kind}")
                assert COMMAND in (await products_health(client))["reason"]
                answer = await client.get("/products")
                assert answer.status_code == 503, answer.text
                assert COMMAND in answer.json()["detail"]

                assert await asyncio.to_thread(upgrade_from_the_shell) == 0

                async def back() -> bool:
                    health = await products_health(client)
                    return health["status"] == "up" and (await client.get("/products")).status_code == 200

                await until(back, f"products_db serves again after `{COMMAND}`")
        finally:
            load.stopped = True
            await asyncio.gather(*workers)
        created = await client.post("/products", json={"sku": "after", "name": "after", "price": "1.00"})
        assert created.status_code == 201, created.text
    if backend == "mongodb":  # a database of this run's own name: not left behind
        await target.drop_database()

    statuses = Counter((operation, status) for operation, status, _ in load.seen)
    figure(
        f"seed {seed} (CHANGES_SEED): {dict(kinds)} dropped on {backend} under load; answers {dict(statuses)}"
    )
    said = f"(CHANGES_SEED={seed})"
    assert not [s for s in load.seen if s[1] is None or (s[1] >= 500 and s[1] != 503)], (
        f"500 or broken {said}"
    )
    for operation, status, response in load.seen:
        assert response is not None
        if status == 503:
            assert response.headers["content-type"] == "application/problem+json", said
            assert response.headers["retry-after"], said
        elif operation == "expand":
            assert status == 200, f"{response.text} {said}"
        else:
            assert status in {200, 201, 404}, f"{operation}: {status} {response.text} {said}"
    failed_expansions = [
        r for op, _, r in load.seen if op == "expand" and r and "x-expand-failed" in r.headers
    ]
    assert all(
        r.headers["x-expand-failed"] == "product" and r.json()["product"] is None for r in failed_expansions
    )
    assert statuses[("list", 503)] + statuses[("post", 503)] > 0, f"no request met a dropped schema {said}"
