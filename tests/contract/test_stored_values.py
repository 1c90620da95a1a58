"""A read never fails on what a database holds. Rows that another tool wrote straight
through the database's own driver, with values no write of the service lets in, are
each returned with a 200 as faithfully as JSON allows, alone and on one list page."""

from __future__ import annotations

import math
from datetime import UTC, datetime
from typing import Any
from uuid import uuid4

import httpx
import pytest

from app.models.events import EVENTS
from app.models.json_values import TOO_DEEP
from containers.databases import bindings
from tests.contract.helpers import same_json
from tests.support import stored
from tests.support.kinds import server_of
from tests.support.stored import JsonText

DEEP = '{"a": ' * 300 + "1" + "}" * 300


def deep_read() -> Any:
    value: Any = TOO_DEEP
    for _ in range(128):
        value = {"a": value}
    return value


# (JSON text a tool wrote, what a read returns). The database refuses some of them
# (PostgreSQL NUL and lone surrogates, MariaDB text that is not JSON): those are left out.
AS_TEXT: list[tuple[str, Any]] = [
    ('{"big": 123456789012345678901234567890}', {"big": 1.2345678901234568e29}),
    ('{"past_doubles": 1e400, "int": 1' + "0" * 400 + "}", {"past_doubles": 10**400, "int": 10**400}),
    ('{"s": "\\ud800x", "\\udfff": 1}', {"s": "\ufffdx", "\ufffd": 1}),
    ('{"nul": "a\\u0000b"}', {"nul": "a\x00b"}),
    ('{"nan": NaN, "inf": -Infinity}', {"nan": None, "inf": None}),
    ('{"$where": 1, "a.b": 2}', {"$where": 1, "a.b": 2}),
    ("[1, 2.5]", [1, 2.5]),
    ("null", None),
    ("not JSON {", "not JSON {"),
    (DEEP, deep_read()),
]


def as_documents() -> list[tuple[Any, Any]]:
    from bson import Binary, Decimal128, Int64, ObjectId

    oid = ObjectId("65a1b2c3d4e5f60718293a4b")
    when = datetime(2026, 1, 2, 3, 4, 5, tzinfo=UTC)
    return [
        ({"oid": oid, "int64": Int64(5)}, {"oid": str(oid), "int64": 5}),
        ({"dec": Decimal128("1.5"), "whole": Decimal128("1E+30")}, {"dec": "1.5", "whole": "1E+30"}),
        ({"bin": Binary(b"\xffA"), "at": when}, {"bin": "\ufffdA", "at": "2026-01-02T03:04:05Z"}),
        ({"nan": math.nan, "$where": {"a.b": Decimal128("NaN")}}, {"nan": None, "$where": {"a.b": "NaN"}}),
        ([1, "two"], [1, "two"]),
    ]


async def test_rows_another_tool_wrote_are_read(client: httpx.AsyncClient, service: Any) -> None:
    built = service[1]
    database = next(b.database for b in bindings(built) if b.resource is EVENTS)
    config = getattr(built.databases, database)().config
    backend = server_of(config)
    if backend == "memory":
        pytest.skip("only the service writes to its in-process store")
    cases = as_documents() if backend == "mongodb" else [(JsonText(text), read) for text, read in AS_TEXT]
    expected: dict[str, Any] = {}
    for n, (value, read) in enumerate(cases):
        row_id = uuid4()
        when: Any = datetime(2026, 1, 1, 0, 0, n, tzinfo=UTC)
        if backend != "mongodb":
            when = when.strftime("%Y-%m-%d %H:%M:%S.%f")
        row = {"id": row_id, "type": "stored", "properties": value, "occurred_at": when}
        row |= {"created_at": when, "updated_at": when, "version": 1}
        if await stored.insert_as_another_tool(config, "events", row):
            expected[str(row_id)] = read
    assert len(expected) >= 4, f"the database took only {len(expected)} of the rows"

    for stored_id, read in expected.items():
        one = await client.get(f"/events/{stored_id}")
        assert one.status_code == 200, one.text
        assert same_json(one.json()["properties"], read), (one.json()["properties"], read)
    page = await client.get("/events", params={"type": "stored", "limit": 100})
    assert page.status_code == 200, page.text
    found = {item["id"]: item["properties"] for item in page.json()["items"]}
    assert found.keys() == expected.keys()
    assert all(same_json(found[key], read) for key, read in expected.items())
    assert (await client.get(f"/events/{next(iter(expected))}", params={"expand": "user"})).is_success
