"""A JSON value that a write accepts is read back with the same value on every backend,
doubles at the edges included (PostgreSQL's jsonb gives a large double back as an
integer literal of 139 digits, which once made every read of the row answer 500)."""

from __future__ import annotations

import json
import math

import httpx

from tests.contract.helpers import problem, same_json

EDGES = {
    "huge": 5.456916326819589e138,
    "max": 1.7976931348623157e308,
    "min": -1e308,
    "tenth": 0.1,
    "negative_zero": -0.0,
    "subnormal": 5e-324,
    "two_e_twenty": 2e20,
    "int64": 9223372036854775807,
    "separators": "\u2028\u2029",
    "": "an empty key",
    "deep": {"a": {"b": {"c": [1, 2.5, {"d": 1e300}]}}},
}


async def test_numbers_at_the_edges_read_back_with_the_same_value(client: httpx.AsyncClient) -> None:
    created = await client.post("/events", json={"type": "edges", "properties": EDGES})
    assert created.status_code == 201, created.text
    one = await client.get(f"/events/{created.json()['id']}")
    assert one.status_code == 200, one.text
    assert same_json(one.json()["properties"], EDGES), one.json()["properties"]
    page = await client.get("/events", params={"type": "edges"})
    assert page.status_code == 200, page.text
    assert same_json(page.json()["items"][0]["properties"], EDGES)


async def test_negative_zero_is_stored_as_zero_on_every_backend(client: httpx.AsyncClient) -> None:
    """PostgreSQL's jsonb has no signed zero, so no backend keeps one: -0.0 is 0.0 everywhere."""
    zeros = {"z": -0.0, "list": [-0.0, 0.0], "deep": {"z": -0.0}}
    created = await client.post("/events", json={"type": "zeros", "properties": zeros})
    assert created.status_code == 201, created.text
    patched = await client.patch(f"/events/{created.json()['id']}", json={"properties": {"p": -0.0}})
    assert patched.status_code == 200, patched.text
    for answer, sent in ((created, zeros), (patched, {"p": -0.0})):
        assert "-0" not in json.dumps(answer.json()["properties"])
        assert same_json(answer.json()["properties"], sent)
    read = await client.get(f"/events/{created.json()['id']}")
    assert read.json()["properties"] == {"p": 0.0}
    assert math.copysign(1, read.json()["properties"]["p"]) == 1


async def test_a_refused_value_names_the_field_and_where_in_it(client: httpx.AsyncClient) -> None:
    for properties, where in (
        ({"a": {"b": [1, 2**64]}}, "a.b[1]"),
        ({"a": [{"$set": 1}]}, "a[0].$set"),
        ({"k": "\u0000"}, "k"),
    ):
        response = await client.post("/events", json={"type": "refused", "properties": properties})
        errors = problem(response, 422)["errors"]
        assert [error["field"] for error in errors] == ["properties"]
        assert f"at {where}:" in errors[0]["message"], errors
    assert (await client.get("/events", params={"type": "refused"})).json()["total"] == 0
