"""Property, for every served resource on every backend: whatever POST, PUT or PATCH
accepts (2xx) comes back from GET one and GET list with the same value, the value the
contract says (tests/support/drawn.py); what they refuse is a 422 naming each refused
field, and changes nothing. Values are drawn at the edges of each field's type.

Derandomized, ROUND_TRIP_EXAMPLES examples per resource and backend (default below):
CI runs the same cases each time; `ROUND_TRIP_EXAMPLES=500` searches further."""

from __future__ import annotations

import json
import os
from collections import Counter
from collections.abc import Callable, Iterator
from typing import Any

import httpx
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from app.models.resource import Resource
from tests.contract.helpers import problem, same_json, total
from tests.support import drawn, served

EXAMPLES = int(os.environ.get("ROUND_TRIP_EXAMPLES", "20"))
RESOURCES = served.resources()


@st.composite
def bodies(draw: st.DrawFn, resource: Resource, fields: str) -> dict[str, Any]:
    """A body for POST ("required", and some optional fields), PUT (the same) or PATCH
    ("some": any of the writable fields), drawn at the edges; in one body of four, one
    field drawn from values that may be outside the contract."""
    kinds = drawn.kinds(resource)
    required = set(resource.create.model_json_schema().get("required", []))
    chosen = [name for name in kinds if draw(st.booleans())]
    names = [name for name in kinds if name in required or name in chosen] if fields == "required" else chosen
    outside = draw(st.sampled_from(names)) if names and draw(st.integers(0, 3)) == 0 else None
    body = {}
    for name in names:
        inside, beyond, _ = kinds[name]
        value = draw(beyond if name == outside else inside)
        if name in resource.unique and isinstance(value, str):
            value = drawn.unique_prefix() + value
        body[name] = value
    return body


def expected(resource: Resource, body: dict[str, Any]) -> dict[str, Any]:
    kinds = drawn.kinds(resource)
    return {name: kinds[name][2](value) for name, value in body.items()}


async def send(client: httpx.AsyncClient, method: str, path: str, body: dict[str, Any]) -> httpx.Response:
    # json.dumps escapes a lone surrogate ("\ud800"), as a client's JSON may hold one.
    content = json.dumps(body).encode()
    return await client.request(method, path, content=content, headers={"content-type": "application/json"})


@pytest.fixture
def answers(figure: Callable[[str], None]) -> Iterator[Counter[str]]:
    """The writes' answers over all the examples of a test, for its reliability figure."""
    counted: Counter[str] = Counter()
    yield counted
    runs = counted.pop("run")
    shown = ", ".join(f"{answer}: {number}" for answer, number in sorted(counted.items()))
    figure(f"{runs} cases; {shown}; every 2xx read back the same, every 422 changed nothing")


async def check(
    client: httpx.AsyncClient, resource: Resource, response: httpx.Response, body: dict[str, Any], before: Any
) -> Any:
    """The row after a write of `body`, checked against the contract. `before` is the row
    before it, or for a POST the number of rows."""
    wanted = expected(resource, body)
    refused = {name for name, value in wanted.items() if value is drawn.REFUSED}
    path = f"/{resource.name}"
    event(f"{response.request.method} {response.status_code}")
    event(f"refused: {', '.join(sorted(refused)) or 'nothing'}")
    if refused:
        named = {error["field"].split(".")[0] for error in problem(response, 422)["errors"]}
        assert named == refused, (named, refused, body)
        if isinstance(before, int):
            assert await total(client, path) == before, "a refused POST stored a row"
        else:
            assert same_json((await client.get(f"{path}/{before['id']}")).json(), before)
        return before
    assert response.status_code == (201 if isinstance(before, int) else 200), (response.text, body)
    row = response.json()
    for name, value in wanted.items():
        assert same_json(row[name], value), (name, row[name], value, body)
    one = await client.get(f"{path}/{row['id']}")
    assert one.status_code == 200, one.text
    assert same_json(one.json(), row)
    assert same_json(await _listed(client, path, row["id"]), row)
    return row


async def _listed(client: httpx.AsyncClient, path: str, id: str) -> Any:
    """The row of `id` as GET list gives it, page after page."""
    offset = 0
    while True:
        page = await client.get(path, params={"limit": 100, "offset": offset})
        assert page.status_code == 200, page.text
        items = page.json()["items"]
        assert items, f"{id} is not on any page of {path}"
        found = [item for item in items if item["id"] == id]
        if found:
            return found[0]
        offset += len(items)


@pytest.mark.parametrize("resource", RESOURCES, ids=[r.name for r in RESOURCES])
@settings(
    max_examples=EXAMPLES,
    derandomize=True,
    database=None,
    deadline=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
@given(data=st.data())
async def test_what_a_write_accepts_reads_back_the_same(
    client: httpx.AsyncClient, resource: Resource, answers: Counter[str], data: st.DataObject
) -> None:
    answers["run"] += 1
    path = f"/{resource.name}"
    row: Any = await total(client, path)
    for method, fields in (("POST", "required"), ("PUT", "required"), ("PATCH", "some")):
        body = data.draw(bodies(resource, fields), label=method)
        where = path if method == "POST" else f"{path}/{row['id']}"
        response = await send(client, method, where, body)
        answers[f"{method} {response.status_code}"] += 1
        row = await check(client, resource, response, body, row)
        if isinstance(row, int):
            return  # the POST was refused: nothing to change
