"""Seeds products through the service's own controller, as its container builds it, so the
rows are what the service itself would store; no SQL is written here to drift from the models."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from decimal import Decimal
from pathlib import Path
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.models.products import ProductCreate

CONCURRENCY = 10


def seeded_product(number: int) -> ProductCreate:
    """The `number`th seeded product: a unique sku, and a price and stock that vary."""
    from app.models.products import ProductCreate

    return ProductCreate(
        sku=f"seed-{number:07d}",
        name=f"Seeded product {number}",
        price=Decimal(number % 100_000).scaleb(-2),
        stock=number % 1000,
    )


def seed(environment: Mapping[str, str], cwd: Path, count: int, ids_file: Path) -> list[str]:
    """Creates `count` products and returns their ids, also written one a line to `ids_file`."""
    command = [sys.executable, "-m", "bench.seed", str(count), str(ids_file)]
    subprocess.run(command, env=dict(environment), cwd=cwd, check=True, timeout=600)
    return ids_file.read_text().split()


async def _seed(count: int) -> list[str]:
    from app.main import create_app

    app = create_app()
    container = app.state.container
    slots = asyncio.Semaphore(CONCURRENCY)

    async def create(number: int) -> str:
        async with slots:
            row = await container.products().create(seeded_product(number))
        return str(row["id"])

    async with app.router.lifespan_context(app):
        return await asyncio.gather(*(create(number) for number in range(count)))


if __name__ == "__main__":
    ids = asyncio.run(_seed(int(sys.argv[1])))
    Path(sys.argv[2]).write_text("".join(f"{id}\n" for id in ids))
