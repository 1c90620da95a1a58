"""Injection, on every backend and asked of the databases themselves: field names in
`sort` and filters are checked against the resource, values are bound parameters (SQL
text is stored and matched verbatim), and MongoDB operators in values or keys change
no match."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from app.adapters.memory import InMemoryAdapter
from app.errors import Invalid
from app.models import EVENTS, PRODUCTS
from containers.databases import bindings
from tests.contract.helpers import create, error_fields, total
from tests.support import stored
from tests.support.kinds import server_of

SQL_TEXT = [
    "x'); DROP TABLE products; --",
    "' OR '1'='1",
    "\\'; DELETE FROM products; --",
    '" OR ""="',
    "%",
    "_",
    "1; SELECT pg_sleep(10)",
]


def products_db(service: tuple[Any, Any]) -> Any:
    _, built = service
    return built.databases.products_db()


async def test_sort_and_filter_names_must_be_fields_of_the_resource(client: httpx.AsyncClient) -> None:
    await create(client, "/products", sku="a", name="A", price="1")

    for sort in [
        "name;DROP TABLE products",
        "-(SELECT 1)",
        "name desc",
        "price,stock)--",
        "properties",
        "$natural",
    ]:
        assert error_fields(await client.get("/products", params={"sort": sort})) == {"sort"}, sort
    assert "sort" in error_fields(await client.get("/events", params={"sort": "properties"}))
    for name in ["nam", "name[$ne]", "$where", "name.x", "price"]:
        assert error_fields(await client.get("/products", params={name: "x"})) == {name}, name
    assert await total(client, "/products") == 1


async def test_sql_text_in_values_is_stored_and_matched_verbatim(
    client: httpx.AsyncClient, service: tuple[Any, Any]
) -> None:
    adapter = products_db(service)
    created = [
        await create(client, "/products", sku=f"s{i}", name=text, price="1")
        for i, text in enumerate(SQL_TEXT)
    ]

    for product, text in zip(created, SQL_TEXT, strict=True):
        assert (await client.get(f"/products/{product['id']}")).json()["name"] == text
        matched = (await client.get("/products", params={"name": text})).json()
        assert [item["id"] for item in matched["items"]] == [product["id"]], text
    if isinstance(adapter, InMemoryAdapter):
        names = [row["name"] for row in adapter.rows(PRODUCTS)]
    elif server_of(adapter.config) == "sqlserver":
        names = list(SQL_TEXT)  # the tests have no driver of their own for it; HTTP said it above
    else:
        names = await stored.column_values(adapter.config, "products", "name")
    assert sorted(map(str, names)) == sorted(SQL_TEXT)
    assert await total(client, "/products") == len(SQL_TEXT)


async def test_mongodb_operators_in_values_or_keys_change_no_match(client: httpx.AsyncClient) -> None:
    await create(client, "/users", email="ada@example.com", name="Ada")
    await create(client, "/users", email="alan@example.com", name="Alan")

    # As a query value, an operator is a string to compare: it matches nothing.
    for value in ['{"$ne": null}', '{"$gt": ""}', '{"$regex": ".*"}', "[$ne]"]:
        assert (await client.get("/users", params={"name": value})).json()["total"] == 0, value
    # In a body, it is not a string at all.
    assert error_fields(
        await client.post("/users", json={"email": "e@example.com", "name": {"$ne": None}})
    ) == {"name"}
    ada = (await client.get("/users", params={"name": "Ada"})).json()["items"][0]
    assert error_fields(await client.patch(f"/users/{ada['id']}", json={"name": {"$gt": ""}})) == {"name"}
    # Keys that MongoDB would read as an operator or a path are refused in properties.
    for properties in [{"$where": "1"}, {"a": {"$ne": None}}, {"a.b": 1}, {"a": [{"$set": {"x": 1}}]}]:
        response = await client.post("/events", json={"type": "t", "properties": properties})
        assert error_fields(response) == {"properties"}, properties
    assert await total(client, "/events") == 0
    assert (await client.get("/users")).json()["total"] == 2
    assert (await client.get(f"/users/{ada['id']}")).json() == ada


async def test_a_value_the_database_refuses_is_a_422_even_past_validation(service: tuple[Any, Any]) -> None:
    """The adapter's safety net, for values that validation stops before they get here:
    a NUL (PostgreSQL), a name past its column (MariaDB), an integer past 64 bits (BSON)."""
    _, built = service
    backend = server_of(products_db(service).config)
    if backend not in ("postgres", "mysql", "mongodb"):
        pytest.skip(f"{backend} has no value here that it refuses")
    stamp = datetime.now(UTC)
    row: dict[str, Any] = {"id": uuid4(), "created_at": stamp, "updated_at": stamp, "version": 1}
    refused = {
        "postgres": (PRODUCTS, {**row, "sku": "s", "name": "a\x00b", "price": 1, "stock": 0}),
        "mysql": (PRODUCTS, {**row, "sku": "s", "name": "n" * 300, "price": 1, "stock": 0}),
        "mongodb": (EVENTS, {**row, "type": "t", "properties": {"n": 2**70}, "occurred_at": stamp}),
    }
    resource, values = refused[backend]
    binding = next(binding for binding in bindings(built) if binding.resource is resource)
    adapter = getattr(built.databases, binding.database)()

    with pytest.raises(Invalid):
        await adapter.insert(resource, values)
