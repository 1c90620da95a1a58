from __future__ import annotations

from typing import Any
from uuid import uuid4

import httpx

from tests.contract.helpers import create, error_fields


async def listed(client: httpx.AsyncClient, path: str, **params: Any) -> dict[str, Any]:
    response = await client.get(path, params=params)
    assert response.status_code == 200, response.text
    page: dict[str, Any] = response.json()
    return page


async def test_list_pages_oldest_first_with_total(client: httpx.AsyncClient) -> None:
    ids = [(await create(client, "/users", email=f"u{i}@example.com", name=f"U{i}"))["id"] for i in range(7)]

    first = await listed(client, "/users", limit=3)
    last = await listed(client, "/users", limit=3, offset=6)
    beyond = await listed(client, "/users", offset=50)

    assert [u["id"] for u in first["items"]] == ids[:3]
    assert (first["total"], first["limit"], first["offset"]) == (7, 3, 0)
    assert [u["id"] for u in last["items"]] == ids[6:]
    assert (beyond["items"], beyond["total"]) == ([], 7)
    assert (await listed(client, "/users"))["limit"] == 20


async def test_bad_paging_sort_or_parameters_are_422(client: httpx.AsyncClient) -> None:
    cases: list[tuple[dict[str, Any], str]] = [
        ({"limit": 0}, "limit"),
        ({"limit": 101}, "limit"),
        ({"limit": "many"}, "limit"),
        ({"offset": -1}, "offset"),
        ({"sort": "password"}, "sort"),
        ({"sort": "-properties"}, "sort"),
        ({"emial": "typo@example.com"}, "emial"),
    ]
    for params, field in cases:
        assert error_fields(await client.get("/users", params=params)) == {field}, params


async def test_sort_is_by_code_point_and_stable(client: httpx.AsyncClient) -> None:
    names = ["b", "B", "a", "é", "Z", "a"]
    created = [await create(client, "/users", email=f"s{i}@example.com", name=n) for i, n in enumerate(names)]

    ascending = (await listed(client, "/users", sort="name"))["items"]
    descending = (await listed(client, "/users", sort="-name,email"))["items"]

    assert [u["name"] for u in ascending] == ["B", "Z", "a", "a", "b", "é"]
    first_a, second_a = created[2]["id"], created[5]["id"]
    assert [u["id"] for u in ascending if u["name"] == "a"] == [first_a, second_a]  # ties by id
    assert [u["name"] for u in descending] == ["é", "b", "a", "a", "Z", "B"]
    assert [u["email"] for u in descending if u["name"] == "a"] == ["s2@example.com", "s5@example.com"]


async def test_sort_numbers_and_decimals_numerically(client: httpx.AsyncClient) -> None:
    for sku, price, stock in [("a", "9.99", 10), ("b", "100.00", 9), ("c", "10.50", 100)]:
        await create(client, "/products", sku=sku, name=sku, price=price, stock=stock)

    by_price = (await listed(client, "/products", sort="-price"))["items"]
    by_stock = (await listed(client, "/products", sort="stock"))["items"]

    assert [p["price"] for p in by_price] == ["100.00", "10.50", "9.99"]
    assert [p["stock"] for p in by_stock] == [9, 10, 100]


async def test_nulls_sort_first_ascending_and_last_descending(client: httpx.AsyncClient) -> None:
    user = str(uuid4())
    with_user = await create(client, "/events", type="a", user_id=user)
    without = await create(client, "/events", type="b")

    ascending = (await listed(client, "/events", sort="user_id"))["items"]
    descending = (await listed(client, "/events", sort="-user_id"))["items"]

    assert [e["id"] for e in ascending] == [without["id"], with_user["id"]]
    assert [e["id"] for e in descending] == [with_user["id"], without["id"]]


async def test_equality_filters_are_exact_and_combine(client: httpx.AsyncClient) -> None:
    await create(client, "/users", email="ann@example.com", name="Ann")
    await create(client, "/users", email="ann2@example.com", name="ann")
    await create(client, "/users", email="bob@example.com", name="Ann")

    named = await listed(client, "/users", name="Ann")
    both = await listed(client, "/users", name="Ann", email="ANN@example.com")

    assert sorted(u["email"] for u in named["items"]) == ["ann@example.com", "bob@example.com"]
    assert named["total"] == 2
    assert [u["email"] for u in both["items"]] == ["ann@example.com"]


async def test_filters_on_references(client: httpx.AsyncClient) -> None:
    user, product = str(uuid4()), str(uuid4())
    await create(client, "/events", type="view", user_id=user, product_id=product)
    await create(client, "/events", type="view", user_id=user)
    await create(client, "/events", type="buy", user_id=str(uuid4()), product_id=product)

    assert (await listed(client, "/events", user_id=user))["total"] == 2
    assert (await listed(client, "/events", product_id=product, type="buy"))["total"] == 1
    assert (await listed(client, "/events", type="nothing"))["total"] == 0
    assert error_fields(await client.get("/events", params={"user_id": "nope"})) == {"user_id"}
    assert error_fields(await client.get("/events", params={"properties": "{}"})) == {"properties"}


async def test_uuids_sort_by_their_bytes(client: httpx.AsyncClient) -> None:
    references = [str(uuid4()) for _ in range(12)]
    for reference in references:
        await create(client, "/events", type="ref", user_id=reference)

    ascending = (await listed(client, "/events", sort="user_id"))["items"]

    assert [e["user_id"] for e in ascending] == sorted(references)
