"""A resource added at test time, by its model and one controller provider on the
container, is served with the contract on each real backend: nothing else names it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from typing import Any

import httpx
import pytest
from dependency_injector import providers

from app.adapters.mongodb.adapter import MongoAdapter
from app.adapters.mongodb.schema import json_schema
from app.adapters.sql.adapter import SQLAdapter
from app.controllers.base import controller_for
from app.migrations.mongodb_op import create_collection
from app.models.resource import Resource
from tests.conftest import backend_database
from tests.contract.helpers import error_fields, problem
from tests.support import orders as test_orders
from tests.support import served
from tests.support.service import serve, settings


@pytest.fixture(scope="module")
def orders() -> Iterator[Resource]:
    with test_orders.orders() as resource:
        yield resource


@pytest.fixture(params=["memory", "sqlite", "postgres", "mysql", "mongodb"])
async def client(request: pytest.FixtureRequest, orders: Resource) -> AsyncIterator[httpx.AsyncClient]:
    database = backend_database(request, request.param, "new-resource-orders")
    with_orders = served.with_controller("orders", controller_for(orders), "orders_db")
    built = with_orders(
        settings=providers.Object(settings(DB_TYPE="memory", DATABASES={"orders_db": database}))
    )
    assert "orders" in [resource.name for resource in served.resources(with_orders)]
    async with serve(built) as client:
        await _empty_table(built.databases.orders_db(), orders)
        yield client


async def _empty_table(adapter: Any, orders: Resource) -> None:
    """What `db revision --autogenerate` and `db upgrade` would create, made here on the
    driver (a test writes no revision into the service's own scripts)."""
    if isinstance(adapter, SQLAdapter):
        async with adapter.engine.begin() as connection:
            await connection.run_sync(lambda sync: orders.table.drop(sync, checkfirst=True))
            await connection.run_sync(orders.table.create)
    elif isinstance(adapter, MongoAdapter):
        await adapter.database.drop_collection("orders")
        schema = json_schema(orders)  # what its written step holds
        await create_collection(adapter.database, "orders", schema, orders.unique, orders.indexed)


async def test_a_resource_added_at_test_time_is_served_with_the_contract(client: httpx.AsyncClient) -> None:
    created = await client.post("/orders", json={"number": "A-1", "total": "19.90"})
    assert created.status_code == 201, created.text
    order = created.json()
    assert created.headers["Location"] == f"/orders/{order['id']}"
    assert (order["number"], order["total"]) == ("A-1", "19.90")
    await client.post("/orders", json={"number": "B-2", "total": "5"})

    read = await client.get(f"/orders/{order['id']}")
    assert read.json() == order
    listed = (await client.get("/orders", params={"sort": "-number"})).json()
    assert ([item["number"] for item in listed["items"]], listed["total"]) == (["B-2", "A-1"], 2)
    assert (await client.get("/orders", params={"number": "A-1"})).json()["total"] == 1

    etag = read.headers["ETag"]
    patched = await client.patch(
        f"/orders/{order['id']}", json={"total": "20.00"}, headers={"If-Match": etag}
    )
    assert (patched.status_code, patched.json()["total"]) == (200, "20.00")
    stale = await client.patch(f"/orders/{order['id']}", json={"total": "1"}, headers={"If-Match": etag})
    problem(stale, 412)

    problem(await client.post("/orders", json={"number": "A-1", "total": "1"}), 409)
    assert error_fields(await client.post("/orders", json={"number": "x" * 33, "total": "1"})) == {"number"}
    assert error_fields(await client.get("/orders", params={"colour": "red"})) == {"colour"}

    assert (await client.delete(f"/orders/{order['id']}")).status_code == 204
    problem(await client.get(f"/orders/{order['id']}"), 404)
    assert (await client.get("/orders")).json()["total"] == 1
