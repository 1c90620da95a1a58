"""python -m bench.micro: each suspect alone, in a loop, in µs per call.

These are floors, measured one call at a time on an otherwise idle event loop. Under load
the thread pool and the round trips cost more. Writes results/micro.md.
"""

from __future__ import annotations

import json
import sys
import time
from collections.abc import Awaitable, Callable
from pathlib import Path
from statistics import median
from typing import Any

import uvloop

RESULTS = Path(__file__).parent / "results"
POSTGRES = "postgresql://postgres@127.0.0.1:5432/postgres"


async def per_call(action: Callable[[], Awaitable[Any]], calls: int = 2000, repeats: int = 5) -> float:
    timings = []
    for _ in range(repeats):
        start = time.perf_counter()
        for _ in range(calls):
            await action()
        timings.append((time.perf_counter() - start) / calls * 1e6)
    return median(timings)


async def _now(function: Callable[[], Any]) -> Any:
    return function()


async def measure(postgres: str) -> list[tuple[str, float, float]]:
    """(what, the service's way in µs, the baseline's way in µs)."""
    from datetime import UTC, datetime
    from decimal import Decimal

    from dependency_injector import providers
    from dependency_injector.wiring import Provide
    from pydantic import TypeAdapter
    from sqlalchemy import select
    from sqlalchemy.dialects.postgresql.asyncpg import dialect
    from starlette.concurrency import run_in_threadpool
    from uuid_utils.compat import uuid7

    from app.adapters.memory import InMemoryAdapter
    from app.main import create_app
    from app.models.products import PRODUCTS, Product, products_table
    from bench.baseline.app import product
    from containers import Container
    from settings import Settings

    settings = Settings(_env_file=None, DB_TYPE="memory", DATABASES={"products_db": {"DB_TYPE": "memory"}})
    container = Container(settings=providers.Object(settings))
    create_app(container)  # wires the container, as the service does
    marker = Provide[Container.products]
    stamp = datetime.now(UTC).replace(microsecond=123000)
    id = uuid7()
    row: dict[str, Any] = {"id": id, "sku": "s-1", "name": "A product", "price": Decimal("19.90"), "stock": 3}
    row |= {"created_at": stamp, "updated_at": stamp}
    memory = InMemoryAdapter()
    await memory.insert(PRODUCTS, row)
    read = TypeAdapter(Product)

    def build() -> Any:
        return select(products_table).where(products_table.c.id == id)

    statement = build()
    compiled_for = dialect()  # type: ignore[no-untyped-call]

    found = [
        (
            "a Provide marker called through the thread pool / called directly",
            await per_call(lambda: run_in_threadpool(marker)),
            await per_call(lambda: _now(marker)),
        ),
        (
            "the controller built per request: container.products()",
            await per_call(lambda: _now(container.products)),
            0.0,
        ),
        (
            "adapter.get with _bounded (asynccontextmanager + asyncio.timeout) / adapter._get alone",
            await per_call(lambda: memory.get(PRODUCTS, id)),
            await per_call(lambda: memory._get(PRODUCTS, id)),
        ),
        (
            "response_model: validate the row as Product and dump JSON / json.dumps of the row by hand",
            await per_call(lambda: _now(lambda: read.dump_json(read.validate_python(row)))),
            await per_call(lambda: _now(lambda: json.dumps(product(row), separators=(",", ":")))),
        ),
        (
            "SQLAlchemy: build select().where() and its cache key, as each request does / build only",
            await per_call(lambda: _now(lambda: build()._generate_cache_key())),
            await per_call(lambda: _now(build)),
        ),
        (
            "SQLAlchemy: compile the statement (what a cache miss costs) / nothing",
            await per_call(lambda: _now(lambda: statement.compile(dialect=compiled_for)), calls=500),
            0.0,
        ),
    ]
    found.append(await _ping(postgres))
    return found


async def _ping(url: str) -> tuple[str, float, float]:
    import asyncpg

    connection = await asyncpg.connect(url)

    async def pre_ping() -> None:  # what SQLAlchemy's asyncpg dialect sends on each checkout
        transaction = connection.transaction()
        await transaction.start()
        await connection.fetchrow(";")
        await transaction.rollback()

    try:
        return (
            "pool_pre_ping's BEGIN; ; ROLLBACK on PostgreSQL / one SELECT 1",
            await per_call(pre_ping, calls=500),
            await per_call(lambda: connection.fetchval("SELECT 1"), calls=500),
        )
    finally:
        await connection.close()


def main(argv: list[str]) -> int:
    postgres = argv[0] if argv else POSTGRES
    found = uvloop.run(measure(postgres))
    lines = [
        "# Each suspect alone (`python -m bench.micro`)",
        "",
        "Median of 5 loops, one call at a time, on uvloop; µs per call.",
        "",
        "| what: the service's way / the other way | service's way µs | other way µs |",
        "|---|---:|---:|",
    ]
    lines += [f"| {what} | {mine:,.1f} | {other:,.1f} |" for what, mine, other in found]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "micro.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
