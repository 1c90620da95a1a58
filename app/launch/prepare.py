"""What is done once, before the WORKERS processes start: the service's startup (migrations
where AUTO_MIGRATE allows, the connection budget), run and closed, so that the workers
find every schema at head. It runs in a process of its own, which then exits, so that the
supervisor never holds the app: it held all of it (WORKERS=2 took 315 MiB, of which the
supervisor 100; bench/README.md, "Issue 11: memory")."""

from __future__ import annotations

import asyncio
import sys

from fastapi import FastAPI

from app.main import _default_app


def prepare() -> int:
    asyncio.run(_start_and_stop(_default_app()))
    return 0


async def _start_and_stop(app: FastAPI) -> None:
    async with app.router.lifespan_context(app):
        pass


if __name__ == "__main__":
    sys.exit(prepare())
