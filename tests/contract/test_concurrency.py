"""Optimistic concurrency over HTTP (ETag and If-Match), on every backend."""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from typing import Any
from uuid import uuid4

import httpx

from tests.contract.helpers import create, problem


async def test_reads_and_writes_carry_an_etag_that_changes_on_every_update(client: httpx.AsyncClient) -> None:
    created = await client.post("/products", json={"sku": "e1", "name": "E", "price": "1"})
    id = created.json()["id"]
    fetched = await client.get(f"/products/{id}")
    patched = await client.patch(f"/products/{id}", json={"stock": 2})
    replaced = await client.put(f"/products/{id}", json={"sku": "e1", "name": "E2", "price": "2"})

    tags = [r.headers["etag"] for r in (created, fetched, patched, replaced)]
    assert tags[0] == tags[1]
    assert len({tags[1], tags[2], tags[3]}) == 3
    assert all(tag.startswith('"') and tag.endswith('"') for tag in tags)


async def test_a_stale_if_match_is_412_and_changes_nothing(client: httpx.AsyncClient) -> None:
    created = await client.post("/users", json={"email": "etag@example.com", "name": "Old"})
    id, stale = created.json()["id"], created.headers["etag"]
    fresh = (await client.patch(f"/users/{id}", json={"name": "New"}, headers={"If-Match": stale})).headers[
        "etag"
    ]

    for request in [
        client.patch(f"/users/{id}", json={"name": "Lost"}, headers={"If-Match": stale}),
        client.put(
            f"/users/{id}", json={"email": "lost@example.com", "name": "Lost"}, headers={"If-Match": stale}
        ),
        client.delete(f"/users/{id}", headers={"If-Match": stale}),
        client.patch(f"/users/{id}", json={"name": "Lost"}, headers={"If-Match": f"W/{fresh}"}),
        client.patch(f"/users/{id}", json={"name": "Lost"}, headers={"If-Match": '"not-a-version"'}),
    ]:
        problem(await request, 412)

    current = await client.get(f"/users/{id}")
    assert current.json()["name"] == "New"
    assert current.headers["etag"] == fresh


async def test_a_matching_if_match_applies(client: httpx.AsyncClient) -> None:
    created = await client.post("/users", json={"email": "match@example.com", "name": "A"})
    id, tag = created.json()["id"], created.headers["etag"]

    patched = await client.patch(f"/users/{id}", json={"name": "B"}, headers={"If-Match": f'"999", {tag}'})
    anything = await client.patch(f"/users/{id}", json={"name": "C"}, headers={"If-Match": "*"})
    deleted = await client.delete(f"/users/{id}", headers={"If-Match": anything.headers["etag"]})

    assert patched.status_code == 200
    assert anything.status_code == 200
    assert deleted.status_code == 204
    problem(await client.patch(f"/users/{uuid4()}", json={"name": "X"}, headers={"If-Match": tag}), 404)


async def test_concurrent_conditional_patches_succeed_once_per_version(client: httpx.AsyncClient) -> None:
    product = await create(client, "/products", sku="race", name="start", price="1")
    id = product["id"]

    async def read_then_patch(i: int) -> tuple[str, httpx.Response]:
        tag = (await client.get(f"/products/{id}")).headers["etag"]
        return tag, await client.patch(
            f"/products/{id}", json={"name": f"writer {i}"}, headers={"If-Match": tag}
        )

    results = await asyncio.gather(*(read_then_patch(i) for i in range(50)))

    winners: dict[str, list[httpx.Response]] = {}
    for tag, response in results:
        assert response.status_code in (200, 412), response.text
        winners.setdefault(tag, [])
        if response.status_code == 200:
            winners[tag].append(response)
    assert all(len(responses) == 1 for responses in winners.values()), {t: len(r) for t, r in winners.items()}
    last = max(
        (r[0] for r in winners.values()), key=lambda response: int(response.headers["etag"].strip('"'))
    )
    final = await client.get(f"/products/{id}")
    assert final.json() == last.json()
    assert final.headers["etag"] == last.headers["etag"]


async def test_concurrent_patches_of_different_fields_lose_nothing(client: httpx.AsyncClient) -> None:
    product = await create(client, "/products", sku="fields", name="n0", price="1", stock=0)
    id = product["id"]
    kinds: list[Callable[[int], dict[str, Any]]] = [
        lambda i: {"name": f"n{i}"},
        lambda i: {"stock": i},
        lambda i: {"price": f"{i}.25"},
    ]
    changes = [kinds[i % 3](i) for i in range(1, 51)]

    responses = await asyncio.gather(*(client.patch(f"/products/{id}", json=body) for body in changes))

    assert [r.status_code for r in responses] == [200] * 50, [
        r.text for r in responses if r.status_code != 200
    ]
    versions = [int(r.headers["etag"].strip('"')) for r in responses]
    assert sorted(versions) == list(range(2, 52))  # every PATCH applied, each on top of another
    final = (await client.get(f"/products/{id}")).json()
    for field in ("name", "stock", "price"):
        touching = [(v, body[field]) for v, body in zip(versions, changes, strict=True) if field in body]
        assert final[field] == max(touching)[1], field  # the value of the last PATCH that named it
