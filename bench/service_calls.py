"""python -m bench.service_calls: the service's own HTTP cost per workload, without a database.

The real app (`app.main.create_app`), its products database replaced (through the
container) by a store that answers at once from a dict, called in-process as uvicorn
calls an ASGI app (bench.routes), one request at a time on uvloop: CPU µs per request of
the four workloads, the median of 7 alternated loops. What is left is routing, dependency
solving, validation, the controller, the adapter template's bookkeeping and the encoding:
the part of a request that no driver or server changes. Writes results/service-calls.md.
"""

from __future__ import annotations

import json
import sys
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any
from uuid import UUID

import uvloop
from dependency_injector import providers

from app.adapters.interface import ListQuery, Page, Row
from app.adapters.memory import InMemoryAdapter
from app.models.resource import Resource
from bench.routes import Call, asgi_call, per_request

RESULTS = Path(__file__).parent / "results"


class InstantStore(InMemoryAdapter):
    """The in-memory store without its copies and scans (a deep copy per row, a unique
    check over every row, a snapshot of every table per transaction): what is left is the
    adapter template's own work."""

    @asynccontextmanager
    async def _begin(self) -> AsyncIterator[None]:
        yield None

    async def _insert(self, resource: Resource, row: Row) -> Row:
        self._table(resource)[row["id"]] = row
        return row

    async def _get(self, resource: Resource, id: UUID) -> Row:
        return dict(self._find(resource, id, None))

    async def _list(self, resource: Resource, query: ListQuery) -> Page:
        rows = list(self._table(resource).values())
        return Page(
            items=[dict(row) for row in rows[query.offset : query.offset + query.limit]], total=len(rows)
        )

    async def _update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None
    ) -> Row:
        row = self._find(resource, id, if_version)
        row.update(changes, version=row["version"] + 1)
        return dict(row)


class InstantBaselineStore:
    """The hand-written baseline's store answering at once from a dict."""

    def __init__(self) -> None:
        self._rows: dict[UUID, Row] = {}

    async def get(self, id: UUID) -> Row | None:
        row = self._rows.get(id)
        return None if row is None else dict(row)

    async def page(self, limit: int, offset: int) -> tuple[list[Row], int]:
        rows = list(self._rows.values())
        return [dict(row) for row in rows[offset : offset + limit]], len(rows)

    async def insert(self, row: Row) -> None:
        self._rows[row["id"]] = row

    async def update(self, id: UUID, changes: Row) -> Row | None:
        row = self._rows.get(id)
        if row is None:
            return None
        row.update(changes)
        return dict(row)

    async def close(self) -> None:
        return None


async def measure() -> dict[str, dict[str, float]]:
    from app.main import create_app
    from bench.baseline.app import create_app as create_baseline
    from containers import Container
    from settings import Settings

    settings = Settings(_env_file=None, DB_TYPE="memory", LOG_LEVEL="WARNING")
    container = Container(settings=providers.Object(settings))
    app = create_app(container)

    async def open_store() -> InstantBaselineStore:
        return InstantBaselineStore()

    baseline = create_baseline(open_store)
    with container.databases.products_db.override(InstantStore()):
        async with app.router.lifespan_context(app), baseline.router.lifespan_context(baseline):
            service_calls = await _calls(app)
            baseline_calls = await _calls(baseline)
            calls = {f"{name}|service": call for name, call in service_calls.items()}
            calls |= {f"{name}|baseline": call for name, call in baseline_calls.items()}
            found = await per_request(calls)
    by_workload: dict[str, dict[str, float]] = {}
    for key, micros in found.items():
        name, side = key.split("|")
        by_workload.setdefault(name, {})[side] = micros
    return by_workload


async def _calls(app: Any, prefix: str = "") -> dict[str, Call]:
    product = {"name": "A product", "price": "9.99", "stock": 3}
    created: list[dict[str, Any]] = []
    for number in range(20):
        status, body = await asgi_call(
            app, "POST", "/products", body={**product, "sku": f"{prefix}S-{number}"}
        )()
        if status != 201:
            raise RuntimeError(f"seeding answered {status}: {body[:200]!r}")
        created.append(json.loads(body))
    id = created[0]["id"]
    counter = iter(range(10**9))

    def post() -> Call:
        async def call() -> tuple[int, bytes]:
            return await asgi_call(
                app, "POST", "/products", body={**product, "sku": f"{prefix}P-{next(counter)}"}
            )()

        return call

    calls = {
        "GET one": asgi_call(app, "GET", f"/products/{id}"),
        "GET list": asgi_call(app, "GET", "/products", query="limit=20"),
        "PATCH": asgi_call(app, "PATCH", f"/products/{id}", body={"price": "5.00", "stock": 4}),
        "POST": post(),
    }
    return calls


def ratio_row(name: str, sides: dict[str, float]) -> str:
    """A table row: the workload, each side's µs per request, and their ratio."""
    service, baseline = sides["service"], sides["baseline"]
    return f"| {name} | {service:,.1f} | {baseline:,.1f} | {service / baseline:.2f} |"


def main(argv: list[str]) -> int:
    found = uvloop.run(measure())
    lines = [
        "# The service's HTTP cost, without a database (`python -m bench.service_calls`)",
        "",
        "The app on the in-memory store, called in-process as uvicorn calls it, one request at a",
        "time on uvloop, beside the hand-written baseline (bench/baseline/app.py) on a store",
        "that also answers at once. CPU µs per request (process time), the median of 7 loops",
        "of 1,000 requests, the loops alternating between the workloads and the two apps.",
        "",
        "| workload | service µs | baseline µs | service ÷ baseline |",
        "|---|---:|---:|---:|",
    ]
    lines += [ratio_row(name, sides) for name, sides in found.items()]
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "service-calls.md").write_text("\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
