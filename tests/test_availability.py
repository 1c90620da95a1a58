"""A database that is down, comes back, or hangs: the service starts anyway, answers
503 for that database only, and recovers without a restart."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest
from sqlalchemy import make_url

from tests.contract.helpers import problem
from tests.support.proxy import Proxy
from tests.support.service import container, serve, settings


@pytest.fixture
async def proxy(postgres_url: str) -> AsyncIterator[Proxy]:
    target = make_url(postgres_url)
    proxied = Proxy(target.host or "127.0.0.1", target.port or 5432)
    yield proxied
    await proxied.close()


def through(proxy: Proxy, postgres_url: str, **options: Any) -> Any:
    """Products on PostgreSQL behind `proxy`, users in memory, the primary in memory."""
    url = make_url(postgres_url).set(port=proxy.port).render_as_string(hide_password=False)
    return settings(
        DB_TYPE="memory",
        HEALTH_TIMEOUT=0.5,
        RETRY_AFTER_SECONDS=7,
        DATABASES={
            "products_db": {"DB_TYPE": "postgres", "CONNECTION_STRING": url, "CONNECT_TIMEOUT": 1, **options},
            "users_db": {"DB_TYPE": "memory"},
        },
    )


async def eventually(check: Any, attempts: int = 100) -> httpx.Response:
    """Poll `check` until it answers 2xx, for at most `attempts` tries 0.1 s apart."""
    response: httpx.Response = await check()
    for _ in range(attempts):
        if response.is_success:
            return response
        await asyncio.sleep(0.1)
        response = await check()
    return response


async def test_a_database_down_at_startup_answers_503_then_recovers(proxy: Proxy, postgres_url: str) -> None:
    async with serve(container(through(proxy, postgres_url))) as client:
        health = await client.get("/health")
        assert health.status_code == 503
        assert health.headers["retry-after"] == "7"  # RETRY_AFTER_SECONDS, like every 503
        assert health.json()["status"] == "degraded"
        databases = health.json()["databases"]
        assert (databases["products_db"]["type"], databases["products_db"]["status"]) == ("postgres", "down")
        assert (databases["users_db"]["status"], databases["default"]["status"]) == ("up", "up")
        assert all(isinstance(db["latency_ms"], float) for db in databases.values())

        down = await client.post("/products", json={"sku": "d", "name": "D", "price": "1"})
        assert "products_db" in problem(down, 503)["detail"]
        assert down.headers["retry-after"] == "7"
        assert (
            await client.post("/users", json={"email": "up@example.com", "name": "Up"})
        ).status_code == 201

        await proxy.up()
        sku = f"back-{id(proxy)}"
        back = await eventually(
            lambda: client.post("/products", json={"sku": sku, "name": "B", "price": "2"})
        )
        assert back.status_code == 201, back.text
        assert (await client.get(f"/products/{back.json()['id']}")).status_code == 200
        assert (await client.get("/health")).status_code == 200


async def test_a_database_that_goes_away_and_returns_is_used_again(proxy: Proxy, postgres_url: str) -> None:
    await proxy.up()
    async with serve(container(through(proxy, postgres_url))) as client:
        assert (await client.get("/products")).status_code == 200

        await proxy.down()
        problem(await client.get("/products"), 503)
        assert (await client.get("/users")).status_code == 200

        await proxy.up()
        assert (await eventually(lambda: client.get("/products"))).status_code == 200


async def test_a_hanging_database_is_bounded_and_the_others_are_not_affected(
    proxy: Proxy, postgres_url: str
) -> None:
    await proxy.hang()
    async with serve(container(through(proxy, postgres_url, QUERY_TIMEOUT=1.5))) as client:
        # A generous guard, not a timing claim: without the bounds these would never answer.
        async with asyncio.timeout(20):
            products, users, health = await asyncio.gather(
                client.get("/products"),
                client.post("/users", json={"email": "ok@example.com", "name": "Ok"}),
                client.get("/health"),
            )

    problem(products, 503)
    assert users.status_code == 201
    assert health.status_code == 503
    assert health.json()["databases"]["products_db"]["status"] == "down"


async def test_an_optional_database_that_is_down_leaves_the_service_ready(
    proxy: Proxy, postgres_url: str
) -> None:
    async with serve(container(through(proxy, postgres_url, REQUIRED=False))) as client:
        health = await client.get("/health")

    assert health.status_code == 200
    assert health.json()["status"] == "degraded"
    assert health.json()["databases"]["products_db"]["status"] == "down"
