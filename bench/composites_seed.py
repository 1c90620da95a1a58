"""Seeds the composites' rows through the service's own controllers, as its container builds
them: users (on MongoDB), products (on MySQL/MariaDB), and events that each refer to a seeded
user and product, written to the sharded events database. Each event row the controller
stored is also written, as it is, through the adapter of one more named database (`copy_to`),
so that the service with every event in one database serves the very same rows."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

from bench.seed import CONCURRENCY, seeded_product


def seed(
    environment: Mapping[str, str], cwd: Path, counts: tuple[int, int, int], copy_to: str, ids_file: Path
) -> list[str]:
    """Creates (users, products, events) and returns the events' ids, also written one a line to
    `ids_file`."""
    command = [sys.executable, "-m", "bench.composites_seed", *map(str, counts), copy_to, str(ids_file)]
    subprocess.run(command, env=dict(environment), cwd=cwd, check=True, timeout=900)
    return ids_file.read_text().split()


async def _seed(users: int, products: int, events: int, copy_to: str) -> list[str]:
    from app.main import create_app
    from app.models.events import EVENTS, EventCreate
    from app.models.users import UserCreate

    app = create_app()
    container = app.state.container
    slots = asyncio.Semaphore(CONCURRENCY)

    async def create_user(number: int) -> str:
        async with slots:
            user = UserCreate(email=f"user-{number:05d}@example.com", name=f"Seeded user {number}")
            return str((await container.users().create(user))["id"])

    async def create_product(number: int) -> str:
        async with slots:
            return str((await container.products().create(seeded_product(number)))["id"])

    async with app.router.lifespan_context(app):
        user_ids = await asyncio.gather(*(create_user(number) for number in range(users)))
        product_ids = await asyncio.gather(*(create_product(number) for number in range(products)))
        copy = container.databases.providers[copy_to]()

        async def create_event(number: int) -> str:
            # Consecutive events refer to different users and products, so a page of 20 asks
            # for 20 distinct users and 20 distinct products (while there are that many).
            event = EventCreate(
                type=("page_view", "add_to_cart", "purchase")[number % 3],
                user_id=user_ids[number % users],
                product_id=product_ids[number % products],
                properties={"page": f"/products/{number % products}", "number": number},
            )
            async with slots:
                row = await container.events().create(event)
                await copy.atomically(lambda: copy.insert(EVENTS, dict(row)))
            return str(row["id"])

        return await asyncio.gather(*(create_event(number) for number in range(events)))


if __name__ == "__main__":
    users, products, events = map(int, sys.argv[1:4])
    ids = asyncio.run(_seed(users, products, events, sys.argv[4]))
    Path(sys.argv[5]).write_text("".join(f"{id}\n" for id in ids))
