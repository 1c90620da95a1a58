"""python -m bench.driver_calls: the service and the hand-written baseline in one process, on
the same real database, called as uvicorn calls an ASGI app (no HTTP parsing, no wrk).

CPU µs per request (process time) of the four workloads for each app, the median of
`--rounds` loops alternating between workloads and apps, with `--concurrency` requests in
flight (32, as `make bench` loads them; 1 shows the cost of a lone request). The database's
own CPU is not in it. Steadier than a wrk run, so fit for a before/after of a change on the
driver path; the ratios of `make bench` stay the figures of record.

    PYTHONPATH=. .venv/bin/python -m bench.driver_calls --backend postgres \
        --url postgresql://postgres@127.0.0.1:5432/multidb_calls     # dropped and made again
"""

from __future__ import annotations

import argparse
import asyncio
import gc
import importlib
import os
import subprocess
import sys
import tempfile
import time
from statistics import median
from typing import Any

import uvloop

from bench.backends import database_settings
from bench.routes import Call
from bench.service_calls import _calls, ratio_row

DEFAULT_URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/multidb_calls",
    "mysql": "mysql://root@127.0.0.1:3306/multidb_calls",
}


async def per_request(
    calls: dict[str, Call], requests: int, rounds: int, concurrency: int
) -> dict[str, float]:
    for name, call in calls.items():
        status, body = await call()
        if status >= 300:
            raise RuntimeError(f"{name} answered {status}: {body[:200]!r}")
    timings: dict[str, list[float]] = {name: [] for name in calls}
    each = max(requests // concurrency, 1)
    for _ in range(rounds):
        for name, call in calls.items():

            async def stream(call: Call = call) -> None:
                for _ in range(each):
                    await call()

            start = time.process_time()
            await asyncio.gather(*(stream() for _ in range(concurrency)))
            timings[name].append((time.process_time() - start) / (each * concurrency) * 1e6)
    return {name: median(found) for name, found in timings.items()}


def recreate(backend: str, url: str) -> None:
    from bench.backends import recreate_mysql, recreate_postgres

    recreate = recreate_postgres if backend == "postgres" else recreate_mysql
    asyncio.run(recreate(url))


async def measure(
    backend: str, url: str, requests: int, rounds: int, concurrency: int
) -> dict[str, dict[str, float]]:
    from dependency_injector import providers

    from app.main import create_app
    from containers import Container
    from settings import Settings

    app = create_app(Container(settings=providers.Object(Settings())))
    if backend == "mysql":
        from bench.backends import mysql_environment

        os.environ.update(mysql_environment(url))
    os.environ["BENCH_DSN"] = url
    baseline: Any = importlib.import_module(f"bench.baseline.{backend}").create_app()
    async with app.router.lifespan_context(app), baseline.router.lifespan_context(baseline):
        calls = {f"{name}|service": call for name, call in (await _calls(app, "S")).items()}
        calls |= {f"{name}|baseline": call for name, call in (await _calls(baseline, "B")).items()}
        gc.collect()
        gc.freeze()  # as app/heap.py does in `python -m app`: the startup heap is not scanned again
        found = await per_request(calls, requests, rounds, concurrency)
    by_workload: dict[str, dict[str, float]] = {}
    for key, micros in found.items():
        name, side = key.split("|")
        by_workload.setdefault(name, {})[side] = micros
    return by_workload


def serve_products_on(backend: str, url: str, **more: str) -> None:
    """This process's environment, as the bench sets the service's: the primary on SQLite,
    products_db on `url` with a pool of 10, no log line per request, `more` on top; its
    schema made by the service's own migrations."""
    work = tempfile.mkdtemp(prefix="multidb-calls-")
    os.environ.update(
        {
            "DB_TYPE": "sqlite",
            "DB_NAME": f"{work}/primary.db",
            **database_settings(backend, url),
            "DATABASES__products_db__POOL_SIZE": "10",
            "DATABASES__products_db__MAX_OVERFLOW": "0",
            "LOG_LEVEL": "WARNING",
            **more,
        }
    )
    subprocess.run([sys.executable, "-m", "app", "db", "upgrade"], check=True, stdout=subprocess.DEVNULL)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.driver_calls", description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=sorted(DEFAULT_URLS), default="postgres")
    parser.add_argument("--url", help="a database the run drops and makes again")
    parser.add_argument("--requests", type=int, default=3200)
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--concurrency", type=int, default=32)
    args = parser.parse_args(argv)
    url = args.url or DEFAULT_URLS[args.backend]
    recreate(args.backend, url)
    serve_products_on(args.backend, url, METRICS="false")
    found = uvloop.run(measure(args.backend, url, args.requests, args.rounds, args.concurrency))
    print(f"{args.backend}, {args.concurrency} in flight: CPU µs per request")
    print("| workload | service | baseline | service ÷ baseline |\n|---|---:|---:|---:|")
    for name, sides in found.items():
        print(ratio_row(name, sides))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
