"""A JSON value that a write accepts is read back with the same value on every backend,
doubles at the edges included (PostgreSQL's jsonb gives a large double back as an
integer literal of 139 digits, which once made every read of the row answer 500)."""

from __future__ import annotations

import math

import httpx

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


def same(a: object, b: object) -> bool:
    """JSON equality, numbers compared as values."""
    if isinstance(a, dict) and isinstance(b, dict):
        return a.keys() == b.keys() and all(same(a[k], b[k]) for k in a)
    if isinstance(a, list) and isinstance(b, list):
        return len(a) == len(b) and all(same(x, y) for x, y in zip(a, b, strict=True))
    if isinstance(a, int | float) and isinstance(b, int | float) and not isinstance(a, bool):
        return math.isclose(a, b, rel_tol=0, abs_tol=0) or a == b
    return a == b


async def test_numbers_at_the_edges_read_back_with_the_same_value(client: httpx.AsyncClient) -> None:
    created = await client.post("/events", json={"type": "edges", "properties": EDGES})
    assert created.status_code == 201, created.text
    one = await client.get(f"/events/{created.json()['id']}")
    assert one.status_code == 200, one.text
    assert same(one.json()["properties"], EDGES), one.json()["properties"]
    page = await client.get("/events", params={"type": "edges"})
    assert page.status_code == 200, page.text
    assert same(page.json()["items"][0]["properties"], EDGES)
