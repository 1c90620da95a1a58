from __future__ import annotations

import re
from datetime import UTC, datetime
from uuid import UUID, uuid4

import httpx

from tests.contract.helpers import create, error_fields, problem, total
from tests.support import served

MILLISECONDS = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z")


async def test_create_answers_201_with_location_and_the_stored_resource(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", json={"email": "Ada@Example.COM", "name": "Ada"})

    assert response.status_code == 201, response.text
    user = response.json()
    assert response.headers["location"] == f"/users/{user['id']}"
    assert user["email"] == "ada@example.com"
    assert user["name"] == "Ada"
    assert UUID(user["id"]).version == 7
    assert user["created_at"] == user["updated_at"]
    assert user["created_at"].endswith("Z")
    assert (await client.get(f"/users/{user['id']}")).json() == user


async def test_ids_follow_creation_order(client: httpx.AsyncClient) -> None:
    ids = [(await create(client, "/events", type="tick"))["id"] for _ in range(5)]

    assert ids == sorted(ids)
    listed = (await client.get("/events", params={"sort": "id"})).json()["items"]
    assert [event["id"] for event in listed] == ids


async def test_unique_conflict_is_409_and_stores_nothing(client: httpx.AsyncClient) -> None:
    await create(client, "/users", email="grace@example.com", name="Grace")

    response = await client.post("/users", json={"email": "GRACE@example.com", "name": "Other"})

    assert "email" in problem(response, 409)["detail"]
    assert await total(client, "/users") == 1


async def test_unique_fields_compare_case_sensitively(client: httpx.AsyncClient) -> None:
    await create(client, "/products", sku="ABC-1", name="Upper", price="1.00")

    response = await client.post("/products", json={"sku": "abc-1", "name": "Lower", "price": "1.00"})

    assert response.status_code == 201, response.text
    assert await total(client, "/products") == 2


async def test_invalid_or_unknown_fields_are_422_and_store_nothing(client: httpx.AsyncClient) -> None:
    cases = [
        ({"email": "not-an-email", "name": "X"}, {"email"}),
        ({"email": "x@example.com", "name": ""}, {"name"}),
        ({"email": "x@example.com", "name": "x" * 101}, {"name"}),
        ({"email": "x@example.com"}, {"name"}),
        ({"email": "x@example.com", "name": "X", "nickname": "x"}, {"nickname"}),
        ({"email": "x@example.com", "name": "X", "id": str(uuid4())}, {"id"}),
        ({"email": "x@example.com", "name": "X", "created_at": "2020-01-01T00:00:00Z"}, {"created_at"}),
    ]
    for body, fields in cases:
        assert error_fields(await client.post("/users", json=body)) == fields, body
    assert await total(client, "/users") == 0


async def test_a_body_that_is_not_json_is_422(client: httpx.AsyncClient) -> None:
    response = await client.post("/users", content=b"{nope", headers={"content-type": "application/json"})

    problem(response, 422)


async def test_get_unknown_id_is_404_and_a_malformed_id_is_422(client: httpx.AsyncClient) -> None:
    problem(await client.get(f"/products/{uuid4()}"), 404)
    assert error_fields(await client.get("/products/not-a-uuid")) == {"id"}


async def test_prices_are_exact_decimal_strings(client: httpx.AsyncClient) -> None:
    as_string = await create(client, "/products", sku="p1", name="P1", price="19.99")
    as_number = await create(client, "/products", sku="p2", name="P2", price=0.1)
    whole = await create(client, "/products", sku="p3", name="P3", price=12, stock=3)
    largest = await create(client, "/products", sku="p4", name="P4", price="9999999999.99")

    assert as_string["price"] == "19.99"
    assert as_number["price"] == "0.10"
    assert (whole["price"], whole["stock"]) == ("12.00", 3)
    assert as_string["stock"] == 0
    fetched = (await client.get(f"/products/{largest['id']}")).json()
    assert fetched["price"] == "9999999999.99"


async def test_prices_out_of_range_or_too_precise_are_422(client: httpx.AsyncClient) -> None:
    for price in ["1.234", "-0.01", "10000000000.00", "NaN", "Infinity", "abc"]:
        response = await client.post("/products", json={"sku": "s", "name": "n", "price": price})
        assert error_fields(response) == {"price"}, price
    assert await total(client, "/products") == 0


async def test_stock_is_a_64_bit_count(client: httpx.AsyncClient) -> None:
    biggest = await create(client, "/products", sku="big", name="Big", price="1", stock=2**63 - 1)

    assert biggest["stock"] == 2**63 - 1
    for stock in [2**63, -1]:
        response = await client.post(
            "/products", json={"sku": "x", "name": "x", "price": "1", "stock": stock}
        )
        assert error_fields(response) == {"stock"}


async def test_timestamps_are_utc_to_the_millisecond(client: httpx.AsyncClient) -> None:
    event = await create(client, "/events", type="t", occurred_at="2026-03-01T12:30:45.123789+02:00")

    assert datetime.fromisoformat(event["occurred_at"]) == datetime(
        2026, 3, 1, 10, 30, 45, 123000, tzinfo=UTC
    )
    fetched = (await client.get(f"/events/{event['id']}")).json()
    assert fetched["occurred_at"] == event["occurred_at"]
    assert fetched["created_at"] == event["created_at"]
    assert error_fields(
        await client.post("/events", json={"type": "t", "occurred_at": "2026-03-01T12:30:45"})
    ) == {"occurred_at"}


async def test_every_timestamp_is_written_with_three_decimals(client: httpx.AsyncClient) -> None:
    """Milliseconds, always all three, in UTC: a whole second is "...45.000Z", never
    "...45Z" nor microseconds, so the text sorts as the time does."""
    whole = await create(client, "/events", type="t", occurred_at="2026-03-01T12:30:45+02:00")
    assert whole["occurred_at"] == "2026-03-01T10:30:45.000Z"
    fine = await create(client, "/events", type="t", occurred_at="2026-03-01T12:30:45.000999-00:30")
    assert fine["occurred_at"] == "2026-03-01T13:00:45.000Z"
    for resource in served.resources():
        made = await create(client, f"/{resource.name}", **served.body(resource, 1))
        for answer in (made, (await client.get(f"/{resource.name}/{made['id']}")).json()):
            stamps = {name: value for name, value in answer.items() if name.endswith("_at")}
            assert {"created_at", "updated_at"} <= set(stamps)
            assert all(MILLISECONDS.fullmatch(value) for value in stamps.values()), stamps
        page = (await client.get(f"/{resource.name}")).json()["items"]
        assert all(MILLISECONDS.fullmatch(item["created_at"]) for item in page), page


async def test_event_properties_and_references_round_trip(client: httpx.AsyncClient) -> None:
    user_id, product_id = str(uuid4()), str(uuid4())
    properties = {"page": "/home", "n": 3, "tags": ["a", "b"], "nested": {"ok": True, "none": None}}

    event = await create(
        client, "/events", type="view", user_id=user_id, product_id=product_id, properties=properties
    )

    fetched = (await client.get(f"/events/{event['id']}")).json()
    assert fetched["properties"] == properties
    assert (fetched["user_id"], fetched["product_id"]) == (user_id, product_id)
    defaults = await create(client, "/events", type="bare")
    assert (defaults["properties"], defaults["user_id"]) == ({}, None)
