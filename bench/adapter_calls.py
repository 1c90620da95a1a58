"""python -m bench.adapter_calls: the SQL adapter alone beside the hand-written baseline's
store alone, in one process on the same real database, with no HTTP in front: the cost of
what runs between the controller and the driver.

CPU µs per call (process time), the median of `--rounds` loops alternating between
workloads and sides, `--concurrency` calls in flight. Under `valgrind --tool=callgrind
--instr-atstart=no` with `--callgrind`, only the measured loops are counted: instructions
per call, steadier than time on a shared machine.

    PYTHONPATH=. .venv/bin/python -m bench.adapter_calls --backend postgres \
        --url postgresql://postgres@127.0.0.1:5432/multidb_calls     # dropped and made again
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import itertools
import os
import subprocess
import sys
import time
from collections.abc import Awaitable, Callable
from decimal import Decimal
from statistics import median
from typing import Any

import uvloop
from uuid_utils.compat import uuid7

from bench.driver_calls import DEFAULT_URLS, recreate, serve_products_on

Call = Callable[[], Awaitable[Any]]
WORKLOADS = ("GET one", "GET list", "PATCH", "POST")


async def _calls(backend: str, url: str) -> tuple[dict[str, dict[str, Call]], Callable[[], Awaitable[None]]]:
    from app.adapters.factory import DatabaseAdapterFactory
    from app.adapters.interface import ListQuery
    from app.controllers.base import DEFAULT_SORT, TIEBREAK
    from app.models import PRODUCTS
    from app.models.types import now
    from settings import Settings

    config = Settings().database_configs()["products_db"]
    adapter: Any = DatabaseAdapterFactory.get_adapter(config.DB_TYPE)("products_db", config)
    adapter.resources = (PRODUCTS,)
    await adapter.connect()
    baseline: Any = importlib.import_module(f"bench.baseline.{backend}")
    size = int(config.POOL_SIZE)
    store = await (baseline.open_pooled(url, size) if backend == "postgres" else _mysql_store(baseline))
    numbers = itertools.count()

    def row(prefix: str) -> dict[str, Any]:
        stamp = now()
        return {
            "id": uuid7(),
            "sku": f"{prefix}-{next(numbers)}",
            "name": "A product",
            "price": Decimal("9.99"),
            "stock": 3,
            "created_at": stamp,
            "updated_at": stamp,
            "version": 1,
        }

    mine, theirs = row("S"), row("B")
    await adapter.insert(PRODUCTS, mine)
    await store.insert(theirs)
    page = ListQuery(filters={}, sort=(*DEFAULT_SORT, TIEBREAK), limit=20, offset=0)

    def changes() -> dict[str, Any]:
        return {"price": Decimal("5.00"), "stock": 4, "updated_at": now()}

    calls: dict[str, dict[str, Call]] = {
        "service": {
            "GET one": lambda: adapter.get(PRODUCTS, mine["id"]),
            "GET list": lambda: adapter.list(PRODUCTS, page),
            "PATCH": lambda: adapter.update(PRODUCTS, mine["id"], changes()),
            "POST": lambda: adapter.insert(PRODUCTS, row("S")),
        },
        "baseline": {
            "GET one": lambda: store.get(theirs["id"]),
            "GET list": lambda: store.page(20, 0),
            "PATCH": lambda: store.update(theirs["id"], changes()),
            "POST": lambda: store.insert(row("B")),
        },
    }

    async def close() -> None:
        await adapter.disconnect()
        await store.close()

    return calls, close


async def _mysql_store(baseline: Any) -> Any:
    return baseline.MySQLStore(await baseline.open_pool())


async def measure(
    backend: str, url: str, workloads: list[str], sides: list[str], args: argparse.Namespace
) -> dict[tuple[str, str], float]:
    calls, close = await _calls(backend, url)
    each = max(args.requests // args.concurrency, 1)

    async def loop(call: Call) -> float:
        async def stream() -> None:
            for _ in range(each):
                await call()

        start = time.process_time()
        await asyncio.gather(*(stream() for _ in range(args.concurrency)))
        spent: float = (time.process_time() - start) / (each * args.concurrency) * 1e6
        return spent

    try:
        for name in workloads:  # warm: connections open, statements prepared
            for side in sides:
                await loop(calls[side][name])
        gc.collect()
        gc.freeze()
        found: dict[tuple[str, str], list[float]] = {(name, side): [] for name in workloads for side in sides}
        _callgrind(args.callgrind, "on")
        for _ in range(args.rounds):
            for name in workloads:
                for side in sides:
                    found[name, side].append(await loop(calls[side][name]))
        _callgrind(args.callgrind, "off")
    finally:
        await close()
    return {key: median(micros) for key, micros in found.items()}


def _callgrind(enabled: bool, state: str) -> None:
    if enabled:
        subprocess.run(
            ["callgrind_control", "-i", state, str(os.getpid())], check=True, stdout=subprocess.DEVNULL
        )


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.adapter_calls", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=sorted(DEFAULT_URLS), default="postgres")
    parser.add_argument("--url", help="a database the run drops and makes again")
    parser.add_argument("--workloads", default=",".join(WORKLOADS))
    parser.add_argument("--sides", default="service,baseline")
    parser.add_argument("--requests", type=int, default=3200)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--concurrency", type=int, default=32)
    parser.add_argument("--callgrind", action="store_true", help="count only the measured loops")
    args = parser.parse_args(argv)
    url = args.url or DEFAULT_URLS[args.backend]
    recreate(args.backend, url)
    if args.backend == "mysql":
        from bench.backends import mysql_environment

        os.environ.update(mysql_environment(url))
    serve_products_on(args.backend, url)
    workloads, sides = args.workloads.split(","), args.sides.split(",")
    found = uvloop.run(measure(args.backend, url, workloads, sides, args))
    print(f"{args.backend}, {args.concurrency} in flight: CPU µs per call")
    for name in workloads:
        print(f"| {name} | " + " | ".join(f"{side} {found[name, side]:,.1f}" for side in sides) + " |")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
