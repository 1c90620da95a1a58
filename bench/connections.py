"""Connections opened on a bench database, as its server counts them: a pool that closes and
reopens connections under steady load (churn) shows here, run by run."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any
from urllib.parse import urlsplit

Counter = Callable[[], int | None]


def postgres_sessions(url: str) -> Counter:
    """pg_stat_database.sessions of the database `url` names (PostgreSQL 14 and later),
    asked on the `postgres` database so that asking adds nothing to it. A backend reports
    its session when it flushes its statistics (at the latest a second into its work), so a
    connection opened in a run's last second may be counted in the next one."""
    parts = urlsplit(url)
    admin_url, database = url.replace(parts.path, "/postgres", 1), parts.path.strip("/")

    async def sessions() -> int | None:
        import asyncpg

        connection = await asyncpg.connect(admin_url, timeout=5)
        try:
            value = await connection.fetchval(
                "SELECT sessions FROM pg_stat_database WHERE datname = $1", database
            )
        finally:
            await connection.close()
        return None if value is None else int(value)

    return lambda: _quietly(sessions)


def mysql_connections(url: str) -> Counter:
    """MariaDB's Connections status counter: connection attempts to the whole server, this
    one's own included (subtracted), and any other client's (the machine is shared)."""
    parts = urlsplit(url)

    async def connections() -> int | None:
        import aiomysql

        connection = await aiomysql.connect(
            host=parts.hostname, port=parts.port or 3306, user=parts.username, password=parts.password or ""
        )
        try:
            async with connection.cursor() as cursor:
                await cursor.execute("SHOW GLOBAL STATUS LIKE 'Connections'")
                row = await cursor.fetchone()
        finally:
            connection.close()
        return None if row is None else int(row[1]) - 1

    return lambda: _quietly(connections)


def _quietly(count: Callable[[], Coroutine[Any, Any, int | None]]) -> int | None:
    try:
        return asyncio.run(count())
    except Exception:  # a figure that could not be read is left blank, not a failed run
        return None
