"""Connection pools that neither churn nor starve: waiters are served in the order they came,
a call cancelled at any moment gives its connection back (closed if its state is unknown),
and steady load is served by the same server sessions throughout."""

from __future__ import annotations

import asyncio
import contextlib
import random
from collections.abc import AsyncIterator, Callable, Coroutine
from decimal import Decimal
from typing import Any
from uuid import UUID

import asyncpg
import pytest
from uuid_utils.compat import uuid7

from app.adapters.interface import ListQuery
from app.adapters.slots import Slots, SlotTimeout
from app.adapters.sql.postgres import PostgresAdapter
from app.errors import DomainError
from app.models import PRODUCTS
from app.models.types import now
from settings import DatabaseConfig
from tests.support import backends

POLLS = 100
BUSY = ("active", "idle in transaction", "idle in transaction (aborted)")


async def test_a_freed_slot_goes_to_the_oldest_waiter_never_to_a_newcomer() -> None:
    slots = Slots(1)
    await slots.take(1)
    arrived: list[int] = []
    served: list[int] = []

    async def client(n: int) -> None:
        arrived.append(n)
        await slots.take(5)
        served.append(n)

    waiting = [asyncio.create_task(client(n)) for n in range(4)]
    await asyncio.sleep(0)
    for n in range(4, 8):  # each time a slot is freed, a newcomer arrives at once
        slots.give()
        waiting.append(asyncio.create_task(client(n)))
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    while len(served) < len(arrived):
        slots.give()
        await asyncio.sleep(0)
        await asyncio.sleep(0)
    await asyncio.gather(*waiting)

    assert served == arrived == list(range(8))


async def test_a_waiter_that_gives_up_passes_its_turn_on_and_takes_nothing() -> None:
    slots = Slots(1)
    await slots.take(1)
    with pytest.raises(SlotTimeout):
        await slots.take(0.01)
    first = asyncio.create_task(slots.take(5))
    second = asyncio.create_task(slots.take(5))
    await asyncio.sleep(0)
    slots.give()  # handed to `first`, which is cancelled before it runs again
    first.cancel()
    with contextlib.suppress(asyncio.CancelledError):
        await first
    await asyncio.wait_for(second, 1)  # the turn went on to `second`
    slots.give()

    assert slots.taken == 0


async def test_each_waiter_gives_up_at_its_own_deadline_whoever_waits_before_it() -> None:
    slots = Slots(1)
    await slots.take(1)
    patient = asyncio.create_task(slots.take(60))
    await asyncio.sleep(0)
    with pytest.raises(SlotTimeout):  # not held until the patient one's deadline
        await asyncio.wait_for(slots.take(0.01), 10)
    assert not patient.done()
    slots.give()
    await asyncio.wait_for(patient, 1)  # still first in line
    slots.give()

    assert (slots.taken, slots.waiting) == (0, 0)


@pytest.fixture
async def adapter(postgres_url: str) -> AsyncIterator[PostgresAdapter]:
    url = backends.sibling(postgres_url, "pools")
    await backends.recreate_postgres_database(url)
    config = DatabaseConfig(
        DB_TYPE="postgres", CONNECTION_STRING=url, POOL_SIZE=2, MAX_OVERFLOW=1, AUTO_MIGRATE=True
    )
    database = PostgresAdapter("products_db", config)
    database.resources = (PRODUCTS,)
    await database.connect()
    await database.check_schema()
    yield database
    await database.disconnect()


async def sessions(url: str) -> list[tuple[int, str]]:
    """(pid, state) of the service's sessions on the database `url` names."""
    connection = await asyncpg.connect(backends.sibling(url, "pools"), timeout=5)
    try:
        rows = await connection.fetch(
            "SELECT pid, state FROM pg_stat_activity WHERE datname = current_database() "
            "AND application_name = 'multidb'"
        )
    finally:
        await connection.close()
    return [(row["pid"], row["state"]) for row in rows]


def product(n: int) -> dict[str, Any]:
    stamp = now()
    return {
        "id": uuid7(),
        "sku": f"sku-{n}-{random.randrange(10**9)}",
        "name": f"P{n}",
        "price": Decimal("1.50"),
        "stock": n,
        "created_at": stamp,
        "updated_at": stamp,
        "version": 1,
    }


async def test_calls_cancelled_at_random_moments_give_every_connection_back(
    adapter: PostgresAdapter, postgres_url: str
) -> None:
    ids: list[UUID] = []
    for n in range(5):
        row = product(n)
        await adapter.atomically(lambda row=row: adapter.insert(PRODUCTS, row))  # type: ignore[misc]
        ids.append(row["id"])
    pick = random.Random(20261130)

    def operation() -> Callable[[], Coroutine[Any, Any, Any]]:
        id = pick.choice(ids)
        changes = {"stock": pick.randrange(100), "updated_at": now()}
        return pick.choice(
            [
                lambda: adapter.get(PRODUCTS, id),
                lambda: adapter.list(PRODUCTS, ListQuery(limit=3)),
                lambda: adapter.get_many(PRODUCTS, ids),
                lambda: adapter.atomically(lambda: adapter.update(PRODUCTS, id, changes)),
                lambda: adapter.atomically(lambda: adapter.insert(PRODUCTS, product(9))),
            ]
        )

    cancelled = 0
    for _ in range(40):  # rounds of six calls on a pool of three, some cancelled mid-way
        calls = [asyncio.create_task(operation()()) for _ in range(6)]
        await asyncio.sleep(pick.uniform(0, 0.02))
        for call in calls:
            if pick.random() < 0.5 and not call.done():
                call.cancel()
                cancelled += 1
        for call in calls:
            with contextlib.suppress(asyncio.CancelledError, DomainError):
                await call

    for _ in range(POLLS):
        busy = [state for _, state in await sessions(postgres_url) if state in BUSY]
        if adapter.checked_out() == 0 and not busy:
            break
        await asyncio.sleep(0.1)
    assert cancelled > 20
    assert adapter.checked_out() == 0
    assert busy == []
    rows = await asyncio.gather(*(adapter.get(PRODUCTS, id) for id in ids * 4))
    assert {row["id"] for row in rows} == set(ids)


async def test_steady_load_is_served_by_the_same_sessions(
    adapter: PostgresAdapter, postgres_url: str
) -> None:
    row = product(1)
    await adapter.atomically(lambda: adapter.insert(PRODUCTS, row))
    seen: list[set[int]] = []
    for _ in range(5):  # ten times more callers than connections, in bursts
        await asyncio.gather(*(adapter.get(PRODUCTS, row["id"]) for _ in range(30)))
        seen.append({pid for pid, _ in await sessions(postgres_url)})

    assert len(seen[0]) <= 3
    assert all(pids == seen[0] for pids in seen), seen
