"""A schema upgrade whose caller gives up (its time limit ends, its request is cancelled)
at seeded random moments, many times: the upgrade runs on to its end, and the database
serves as soon as it is done. MariaDB's DDL is not transactional: an upgrade cut between
a revision's CREATE TABLE and its version row once left a table that every later upgrade
tried to create again ("Table 'products' already exists"), the database refused for good."""

from __future__ import annotations

import asyncio
import contextlib
import random
import time
from uuid import uuid4

import pytest

from app.errors import NotFound, Unavailable
from app.models.products import PRODUCTS
from containers.databases import placements
from tests.support import backends
from tests.support.service import container, settings

SEED = 20261130
ATTEMPTS = 8


async def upgraded_after_a_cut(request: pytest.FixtureRequest, backend: str, after: float | None) -> float:
    """Upgrade a fresh database, its caller giving up `after` seconds (None: never);
    then wait until the store serves. The seconds the first check took, cut or not."""
    config = await backends.fresh_database(request, backend, "upgrade")
    built = container(settings(DB_TYPE="memory", DATABASES={"products_db": config}))
    [placement] = [found for found in placements(built) if found.answers_to("products_db")]
    store = placement.adapter
    store.resources = tuple(placement.resources)
    await store.connect()
    try:
        started = time.perf_counter()
        with contextlib.suppress(TimeoutError):  # the caller gave up: the upgrade goes on
            await asyncio.wait_for(store.check_schema(), after)
        took = time.perf_counter() - started
        for _ in range(200):
            try:
                await store.get(PRODUCTS, uuid4())
            except NotFound:
                break
            except Unavailable as refused:  # the upgrade still running, or a bug
                last = refused
                await asyncio.sleep(0.05)
        else:
            raise AssertionError(f"cut after {after}s, the store never served again: {last}")
        assert await store.check_schema(again=True) == "current"  # every revision recorded
        return took
    finally:
        await store.disconnect()


@pytest.mark.parametrize("backend", ["mysql", "postgres", "mongodb"])
async def test_an_upgrade_cut_short_at_random_runs_on_and_the_database_serves(
    request: pytest.FixtureRequest, backend: str
) -> None:
    whole = await upgraded_after_a_cut(request, backend, None)
    rng = random.Random(SEED)
    cut = 0
    for _ in range(ATTEMPTS):
        after = rng.uniform(0, whole)
        took = await upgraded_after_a_cut(request, backend, after)
        cut += took < whole * 0.9  # given up before an upgrade could have ended
    assert cut >= ATTEMPTS // 2, f"only {cut} of {ATTEMPTS} upgrades were cut short"
