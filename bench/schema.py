"""The one place where the bench creates the products table or collection.

It runs the service's own startup (its lifespan: connect, create what is missing,
disconnect) in a process with the service's environment, so the schema is the one the
service would make. When `python -m app db upgrade` exists, COMMAND becomes that.
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Mapping
from pathlib import Path

COMMAND = ("-m", "bench.schema")


def create_schema(environment: Mapping[str, str], cwd: Path) -> None:
    subprocess.run([sys.executable, *COMMAND], env=dict(environment), cwd=cwd, check=True, timeout=120)


async def _start_and_stop_the_service() -> None:
    from app.main import create_app

    app = create_app()
    async with app.router.lifespan_context(app):
        pass


if __name__ == "__main__":
    asyncio.run(_start_and_stop_the_service())
