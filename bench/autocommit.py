"""PYTHONPATH=. .venv/bin/python -m bench.autocommit: how a read outside a unit of work
reaches an autocommit connection on SQLite (the SQLAlchemy-pooled kinds), in µs per
GET one, the two ways alternated in one run: a pooled connection switched to autocommit
at checkout and back at check-in (`execution_options(isolation_level="AUTOCOMMIT")`, as
app/adapters/sql/adapter.py did), or an engine of its own in autocommit from each
connection's start (as it does now)."""

from __future__ import annotations

import asyncio
import tempfile
import time
import uuid
from decimal import Decimal
from statistics import median

from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.sql.adapter import SQLAdapter
from app.models.products import PRODUCTS
from app.models.types import now
from settings import DatabaseConfig

CALLS = 300
ROUNDS = 20  # short rounds, alternated: the ratio of each pair, taken close in time


async def main() -> None:
    directory = tempfile.mkdtemp()
    config = DatabaseConfig.model_validate({"DB_TYPE": "sqlite", "DB_NAME": f"{directory}/bench.db"})
    adapter = SQLAdapter("default", config)
    adapter.resources = (PRODUCTS,)
    await adapter.connect()
    await adapter.migrations.upgrade(adapter.resources)
    id = uuid.uuid4()
    row = {"id": id, "sku": "a", "name": "n", "price": Decimal("1.00"), "stock": 0, "version": 1}
    await adapter.insert(PRODUCTS, {**row, "created_at": now(), "updated_at": now()})
    ways: dict[str, AsyncEngine] = {
        "switched per checkout": adapter.engine.execution_options(isolation_level="AUTOCOMMIT"),
        "an engine of its own": adapter._autocommit,
    }
    timings: dict[str, list[float]] = {name: [] for name in ways}
    for round in range(ROUNDS):
        for name in sorted(ways, reverse=bool(round % 2)):
            adapter._autocommit = ways[name]
            started = time.perf_counter()
            for _ in range(CALLS):
                await adapter.get(PRODUCTS, id)
            timings[name].append((time.perf_counter() - started) / CALLS * 1e6)
    adapter._autocommit = ways["an engine of its own"]
    await adapter.disconnect()
    for name, values in timings.items():
        print(f"{name}: {median(values):.0f} µs per GET one (median of {ROUNDS} rounds of {CALLS})")
    pairs = zip(timings["an engine of its own"], timings["switched per checkout"], strict=True)
    ratios = sorted(own / switched for own, switched in pairs)
    print(
        f"an engine of its own / switched per checkout, per round: median {median(ratios):.2f} "
        f"(quartiles {ratios[len(ratios) // 4]:.2f}-{ratios[3 * len(ratios) // 4]:.2f})"
    )


if __name__ == "__main__":
    asyncio.run(main())
