"""products_db's MariaDB is killed (SIGKILL) under load and started again: users and
events carry on untouched, products answer 503 quickly until the server is back, then
recover without a restart, and every write that was acknowledged is stored."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.contract.helpers import problem
from tests.faults.conftest import fresh_name
from tests.support import stored
from tests.support.servers import MariaDBServer
from tests.support.service import container, serve, settings

WORKERS = 8
RETRY_AFTER = 3
CONNECT_TIMEOUT = 2.0
QUERY_TIMEOUT = 10.0
POLLS = 300  # 0.1 s apart: the longest any phase of the test may wait


@dataclass
class Answer:
    resource: str
    status: int
    seconds: float
    phase: str
    response: httpx.Response


@dataclass
class Load:
    """Workers that create users, events and products in a loop until told to stop."""

    client: httpx.AsyncClient
    phase: str = "before"
    answers: list[Answer] = field(default_factory=list)
    stopped: bool = False

    async def worker(self, number: int) -> None:
        for i in range(1_000_000):
            if self.stopped:
                return
            tag = f"{number}-{i}"
            await self._one("users", {"email": f"load{tag}@example.com", "name": f"L{tag}"})
            await self._one("events", {"type": "load", "properties": {"worker": number, "i": i}})
            await self._one("products", {"sku": f"load-{tag}", "name": f"P{tag}", "price": "1.00"})

    async def _one(self, resource: str, body: dict[str, Any]) -> None:
        phase, started = self.phase, time.perf_counter()
        response = await self.client.post(f"/{resource}", json=body)
        self.answers.append(
            Answer(resource, response.status_code, time.perf_counter() - started, phase, response)
        )

    def count(self, resource: str, status: int, phase: str | None = None) -> int:
        return sum(
            1
            for a in self.answers
            if a.resource == resource and a.status == status and phase in (None, a.phase)
        )

    async def until(self, condition: Callable[[], bool], what: str) -> None:
        for _ in range(POLLS):
            if condition():
                return
            await asyncio.sleep(0.1)
        pytest.fail(f"gave up waiting until {what}: {Counter((a.resource, a.status) for a in self.answers)}")


async def test_killed_database_fails_fast_recovers_and_loses_no_acknowledged_write(
    own_mariadb: MariaDBServer,
    postgres_url: str,
    mongodb_url: str,
    tmp_path: Path,
    figure: Callable[[str], None],
) -> None:
    name = fresh_name("multidb_dies")
    products_url = await own_mariadb.create_database(name)
    config = settings(
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        RETRY_AFTER_SECONDS=RETRY_AFTER,
        DATABASES={
            "products_db": {
                "DB_TYPE": "mysql",
                "CONNECTION_STRING": products_url,
                "CONNECT_TIMEOUT": CONNECT_TIMEOUT,
                "QUERY_TIMEOUT": QUERY_TIMEOUT,
            },
            "users_db": {"DB_TYPE": "mongodb", "CONNECTION_STRING": mongodb_url, "DB_NAME": name},
            "analytics_db": {"DB_TYPE": "postgres", "CONNECTION_STRING": postgres_url},
        },
    )
    built = container(config)
    async with serve(built) as client:
        load = Load(client)
        workers = [asyncio.create_task(load.worker(n)) for n in range(WORKERS)]
        try:
            await load.until(lambda: load.count("products", 201) >= 40, "products are being written")
            load.phase = "down"
            await own_mariadb.kill()
            await load.until(lambda: load.count("products", 503, "down") >= 40, "products answer 503")
            load.phase = "back"
            await own_mariadb.start()
            restarted = time.perf_counter()
            await load.until(lambda: load.count("products", 201, "back") >= 1, "products recover")
            recovered = time.perf_counter() - restarted
            await load.until(lambda: load.count("products", 201, "back") >= 40, "products are written again")
        finally:
            load.stopped = True
            await asyncio.gather(*workers)
            await own_mariadb.ensure_running()
        adapter = built.databases.products_db()
        checked_out = adapter.checked_out()

    answers = load.answers
    others = [a for a in answers if a.resource != "products"]
    assert Counter(a.status for a in others) == {201: len(others)}, "users and events must never fail"
    products = [a for a in answers if a.resource == "products"]
    assert {a.status for a in products} == {201, 503}
    failures = [a for a in products if a.status == 503]
    for failure in failures:
        body = problem(failure.response, 503)
        assert failure.response.headers["retry-after"] == str(RETRY_AFTER)
        # Failed by the refused connection itself, not cut off by the query timeout.
        assert "no answer within" not in body["detail"], body
    assert checked_out == 0

    acknowledged = {
        resource: [a.response.json()["id"] for a in answers if a.resource == resource and a.status == 201]
        for resource in ("users", "events", "products")
    }
    assert stored.mysql_ids(products_url, "products", acknowledged["products"]) == set(
        acknowledged["products"]
    )
    assert stored.mongodb_ids(mongodb_url, name, "users", acknowledged["users"]) == set(acknowledged["users"])
    events = await stored.postgres_ids(postgres_url, "events", acknowledged["events"])
    assert events == set(acknowledged["events"])

    slowest = max(a.seconds for a in failures)
    figure(
        f"{len(answers)} writes by {WORKERS} workers; MariaDB killed mid-run: users+events "
        f"{len(others)}/{len(others)} succeeded, products {len(failures)} x 503 (slowest {slowest:.2f}s, "
        f"CONNECT_TIMEOUT {CONNECT_TIMEOUT:g}s), recovered {recovered:.1f}s after the restart; "
        f"{sum(map(len, acknowledged.values()))} acknowledged writes, 0 missing"
    )
