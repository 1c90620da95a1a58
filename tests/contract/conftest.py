"""One contract, every backend: each test here runs once per database type."""

from __future__ import annotations

from collections.abc import AsyncIterator
from typing import Any

import httpx
import pytest

from app.adapters.interface import ListQuery
from containers.databases import bindings
from tests.conftest import backend_database
from tests.support import backends, kinds, served, workers
from tests.support.service import container, serve, settings

NAMES = served.databases()
# The contract through HTTP to `python -m app` with WORKERS=2, on PostgreSQL.
TWO_WORKERS = "postgres-2-workers"


@pytest.fixture(scope="module", params=(*backends.ALL, kinds.NAME, TWO_WORKERS))
async def service(request: pytest.FixtureRequest, sqlite_dir: Any) -> AsyncIterator[Any]:
    backend = request.param
    if backend == TWO_WORKERS:
        async for served_by_workers in _two_workers(request, sqlite_dir):
            yield served_by_workers
        return
    with kinds.registered():
        if backend == kinds.NAME:  # a kind registered by the test, on the PostgreSQL server
            url = backends.sibling(request.getfixturevalue("postgres_url"), "kind")
            backends.run(backends.recreate_postgres_database(url))
            where = {"DB_TYPE": kinds.NAME, "CONNECTION_STRING": kinds.url_on_postgres(url)}
            databases = dict.fromkeys(NAMES, where)
        else:
            databases = {name: backend_database(request, backend, f"contract-{name}") for name in NAMES}
        config = settings(
            DB_TYPE="sqlite", DB_NAME=str(sqlite_dir / "contract-primary.db"), DATABASES=databases
        )
        built = container(config)
        async with serve(built) as client:
            yield client, built


async def _two_workers(request: pytest.FixtureRequest, directory: Any) -> AsyncIterator[Any]:
    """The service in two worker processes; the test's own container (its schema
    brought to head first) reaches the same databases for what a test checks or wipes."""
    databases = {name: backend_database(request, "postgres", f"contract-{name}") for name in NAMES}
    primary = {"DB_TYPE": "sqlite", "DB_NAME": str(directory / "contract-primary.db")}
    built = container(settings(**primary, DATABASES=databases))
    env = workers.environment(databases, **primary, AUTO_MIGRATE="true")
    async with (
        serve(built),
        workers.running(env, directory, workers=2) as service,
        workers.fresh_connections(service.base_url) as client,
    ):
        yield client, built


@pytest.fixture
async def client(service: Any) -> httpx.AsyncClient:
    client, built = service
    await _wipe(built)
    return client  # type: ignore[no-any-return]


async def _wipe(built: Any) -> None:
    for binding in bindings(built):
        adapter = getattr(built.databases, binding.database)()
        while page := (await adapter.list(binding.resource, ListQuery(limit=500))).items:
            for row in page:
                await adapter.delete(binding.resource, row["id"])
