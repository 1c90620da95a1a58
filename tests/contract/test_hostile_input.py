"""Input that one database or another cannot keep, or that is simply too much: a
clear 4xx problem on every backend, and nothing stored or changed."""

from __future__ import annotations

import json
from typing import Any

import httpx
import pytest

from app.models.json_values import JSON_MAX_BYTES, JSON_MAX_DEPTH
from tests.contract.helpers import create, error_fields, problem, total
from tests.support.service import container, serve, settings

PRODUCT = {"sku": "p", "name": "P", "price": "1.00"}
DEPTH, SIZE, INT64 = JSON_MAX_DEPTH, JSON_MAX_BYTES, 2**63


def nested(depth: int) -> dict[str, Any]:
    value: dict[str, Any] = {}
    for _ in range(depth - 1):
        value = {"a": value}
    return value


REFUSED: list[tuple[str, str, dict[str, Any], str]] = [
    ("nul in a string", "/products", {**PRODUCT, "name": "a\x00b"}, "name"),
    ("nul in an email", "/users", {"email": "a\x00@example.com", "name": "A"}, "email"),
    ("nul deep in properties", "/events", {"type": "t", "properties": {"a": ["x\x00"]}}, "properties"),
    ("nul in a properties key", "/events", {"type": "t", "properties": {"a\x00": 1}}, "properties"),
    ("stock past 64 bits", "/products", {**PRODUCT, "stock": 2 * INT64}, "stock"),
    ("stock past int64", "/products", {**PRODUCT, "stock": INT64}, "stock"),
    ("int64 overflow in properties", "/events", {"type": "t", "properties": {"n": -INT64 - 1}}, "properties"),
    ("price past 12 digits", "/products", {**PRODUCT, "price": "12345678901.00"}, "price"),
    ("price with 3 decimals", "/products", {**PRODUCT, "price": "1.005"}, "price"),
    ("string past its limit", "/products", {**PRODUCT, "sku": "s" * 65}, "sku"),
    ("name past its limit", "/users", {"email": "a@example.com", "name": "n" * 101}, "name"),
    ("email past its limit", "/users", {"email": "a" * 64 + "@" + "b" * 250 + ".com", "name": "A"}, "email"),
    ("properties nested too deep", "/events", {"type": "t", "properties": nested(DEPTH + 1)}, "properties"),
    ("properties too large", "/events", {"type": "t", "properties": {"a": "x" * SIZE}}, "properties"),
    ("a year before 1000", "/events", {"type": "t", "occurred_at": "0999-12-31T23:59:59Z"}, "occurred_at"),
    ("past 9999 in UTC", "/events", {"type": "t", "occurred_at": "9999-12-31T23:00:00-14:00"}, "occurred_at"),
    ("an unknown field", "/products", {**PRODUCT, "colour": "red"}, "colour"),
    ("a server-owned field", "/products", {**PRODUCT, "id": "018f0000-0000-7000-8000-000000000000"}, "id"),
]  # fmt: skip


@pytest.mark.parametrize(("case", "path", "body", "field"), REFUSED, ids=[case[0] for case in REFUSED])
async def test_refused_input_is_a_422_and_stores_nothing(
    client: httpx.AsyncClient, case: str, path: str, body: dict[str, Any], field: str
) -> None:
    response = await client.post(path, json=body)

    assert field in error_fields(response), response.text
    assert await total(client, path) == 0


@pytest.mark.parametrize("literal", ["NaN", "Infinity", "-Infinity"])
async def test_nan_and_infinity_are_refused_as_prices_and_in_properties(
    client: httpx.AsyncClient, literal: str
) -> None:
    # Python's JSON parser reads these bare literals; they are not JSON, and no backend stores them.
    as_number = '{"sku": "p", "name": "P", "price": ' + literal + "}"
    as_string = json.dumps({**PRODUCT, "price": literal})
    in_properties = '{"type": "t", "properties": {"x": ' + literal + "}}"
    headers = {"content-type": "application/json"}

    assert error_fields(await client.post("/products", content=as_number, headers=headers)) == {"price"}
    assert error_fields(await client.post("/products", content=as_string, headers=headers)) == {"price"}
    assert error_fields(await client.post("/events", content=in_properties, headers=headers)) == {
        "properties"
    }
    assert await total(client, "/products") == 0
    assert await total(client, "/events") == 0


async def test_a_float_beyond_64_bit_integers_is_kept_as_a_float(client: httpx.AsyncClient) -> None:
    # PostgreSQL's jsonb writes 3.448633312726703e+170 out in digits (found by the fuzzer).
    properties = {"big": 3.448633312726703e170, "tiny": -2.225073858507203e-309, "n": INT64 - 1}
    created = await create(client, "/events", type="t", properties=properties)

    read = await client.get(f"/events/{created['id']}")

    assert read.status_code == 200, read.text
    assert read.json()["properties"] == properties


async def test_a_lone_surrogate_is_refused(client: httpx.AsyncClient) -> None:
    headers = {"content-type": "application/json"}

    name = await client.post(
        "/products", content='{"sku": "p", "name": "\\ud800", "price": "1"}', headers=headers
    )
    deep = await client.post(
        "/events", content='{"type": "t", "properties": {"k": "\\udfff"}}', headers=headers
    )

    assert error_fields(name) == {"name"}
    assert error_fields(deep) == {"properties"}
    assert await total(client, "/products") + await total(client, "/events") == 0


async def test_patch_and_filters_are_held_to_the_same_rules(client: httpx.AsyncClient) -> None:
    product = await create(client, "/products", **PRODUCT)

    assert error_fields(await client.patch(f"/products/{product['id']}", json={"name": "x\x00"})) == {"name"}
    assert error_fields(await client.patch(f"/products/{product['id']}", json={"stock": 2 * INT64})) == {
        "stock"
    }
    assert error_fields(await client.get("/products", params={"name": "x\x00"})) == {"name"}
    assert error_fields(await client.get("/products", params={"offset": str(INT64)})) == {"offset"}
    assert (await client.get(f"/products/{product['id']}")).json() == product


async def test_a_body_over_the_size_limit_is_a_413(client: httpx.AsyncClient) -> None:
    # MAX_BODY_BYTES is 1 MiB by default; the test service keeps it.
    huge = {"type": "t", "properties": {"blob": "x" * (1024 * 1024)}}

    declared = await client.post("/events", json=huge)

    async def chunks() -> Any:
        for _ in range(17):
            yield b" " * 65536

    streamed = await client.post("/events", content=chunks(), headers={"content-type": "application/json"})

    assert "MAX_BODY_BYTES" in problem(declared, 413)["detail"]
    assert "MAX_BODY_BYTES" in problem(streamed, 413)["detail"]
    assert await total(client, "/events") == 0


async def test_json_nested_past_what_the_parser_reads_is_a_400(client: httpx.AsyncClient) -> None:
    body = '{"type": "t", "properties": ' + '{"a": ' * 5000 + "1" + "}" * 5000 + "}"

    response = await client.post("/events", content=body, headers={"content-type": "application/json"})

    problem(response, 400)
    assert await total(client, "/events") == 0


@pytest.mark.parametrize("levels", [500, 900])
async def test_json_nested_as_deep_as_the_parser_reads_is_a_422(
    client: httpx.AsyncClient, levels: int
) -> None:
    objects = '{"type": "t", "properties": ' + '{"a": ' * levels + "1" + "}" * levels + "}"
    lists = '{"type": "t", "properties": {"a": ' + "[" * levels + "1" + "]" * levels + "}}"

    for body in (objects, lists):
        response = await client.post("/events", content=body, headers={"content-type": "application/json"})
        assert error_fields(response) == {"properties"}
    assert await total(client, "/events") == 0


async def test_accepted_edge_values_round_trip(client: httpx.AsyncClient) -> None:
    properties = {"deep": nested(DEPTH - 1), "big": INT64 - 1, "small": -INT64, "text": "é😀"}

    event = await create(client, "/events", type="t" * 64, properties=properties)
    product = await create(
        client, "/products", sku="s" * 64, name="n" * 200, price="9999999999.99", stock=2**63 - 1
    )

    assert (await client.get(f"/events/{event['id']}")).json()["properties"] == properties
    stored = (await client.get(f"/products/{product['id']}")).json()
    assert (stored["price"], stored["stock"]) == ("9999999999.99", INT64 - 1)
    negative_zero = await create(client, "/products", sku="z", name="Z", price="-0")
    assert (await client.get(f"/products/{negative_zero['id']}")).json()["price"] == "0.00"


async def test_the_body_limit_is_configurable() -> None:
    config = settings(DB_TYPE="memory", MAX_BODY_BYTES=200)
    async with serve(container(config)) as client:
        small = await client.post("/events", json={"type": "t", "properties": {"x": "y" * 50}})
        large = await client.post("/events", json={"type": "t", "properties": {"x": "y" * 250}})
        stored = await total(client, "/events")

    assert small.status_code == 201, small.text
    assert "200 bytes" in problem(large, 413)["detail"]
    assert stored == 1
