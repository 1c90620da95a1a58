"""Each resource is served from its own database, on four kinds at once, under
concurrency; the databases themselves are asked where each row went."""

from __future__ import annotations

import asyncio
from collections import defaultdict
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support import served, stored
from tests.support.service import container, serve, settings

KINDS = ("mongodb", "mysql", "postgres")  # the bound databases take these in turn


async def test_concurrent_requests_each_land_in_their_own_database(
    postgres_url: str, mysql_url: str, mongodb_url: str, tmp_path: Path
) -> None:
    primary = str(tmp_path / "primary.db")
    connections: dict[str, dict[str, Any]] = {
        "mongodb": {"CONNECTION_STRING": mongodb_url, "DB_NAME": "multidb_routing"},
        "mysql": {"CONNECTION_STRING": mysql_url},
        "postgres": {"CONNECTION_STRING": postgres_url},
    }
    kind_of = {name: KINDS[i % len(KINDS)] for i, name in enumerate(served.databases())}
    databases = {name: {"DB_TYPE": kind, **connections[kind]} for name, kind in kind_of.items()}
    config = settings(DB_TYPE="sqlite", DB_NAME=primary, DATABASES=databases)
    resources = served.resources()
    created: dict[str, list[str]] = defaultdict(list)

    async def one(client: httpx.AsyncClient, i: int) -> None:
        resource = resources[i % len(resources)].name
        response = await client.post(f"/{resource}", json=served.body(resources[i % len(resources)], i))
        assert response.status_code == 201, response.text
        id = response.json()["id"]
        assert (await client.get(f"/{resource}/{id}")).status_code == 200
        created[resource].append(id)

    async with serve(container(config)) as client:
        await asyncio.gather(*(one(client, i) for i in range(200)))

    assert sum(len(ids) for ids in created.values()) == 200
    homes = {resource: kind_of[database] for resource, database in served.home().items()}
    for resource, home in homes.items():
        ids = created[resource]
        found = await where_stored(ids, resource, postgres_url, mysql_url, mongodb_url, primary)
        assert found == {kind: set(ids) if kind == home else set() for kind in found}, resource


async def where_stored(
    ids: list[str], table: str, postgres_url: str, mysql_url: str, mongodb_url: str, sqlite_path: str
) -> dict[str, set[str]]:
    if not ids:
        pytest.fail(f"no {table} were created")
    return {
        "mongodb": stored.mongodb_ids(mongodb_url, "multidb_routing", table, ids),
        "mysql": stored.mysql_ids(mysql_url, table, ids),
        "postgres": await stored.postgres_ids(postgres_url, table, ids),
        "sqlite": stored.sqlite_ids(sqlite_path, table, ids),
    }
