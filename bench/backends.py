"""The databases a run measures: each made afresh, with the service's settings for it and the
baselines that serve the same table or collection."""

from __future__ import annotations

import asyncio
import subprocess
import sys
from collections.abc import Callable, Iterator
from contextlib import AbstractContextManager, contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from bench.connections import Counter, mysql_connections, postgres_sessions

BASELINE = "baseline"
PER_REQUEST = "connect per request"
SERVICE = "service"
OBSERVED = "service, observed"  # with logs, ids (and metrics) on: bench/variants.py
# What a user would pick instead (bench/peers/), each the way its own docs show.
ORM = "SQLAlchemy ORM"
FASTCRUD = "FastCRUD"
LITESTAR = "Litestar + advanced-alchemy"
PEERS = {
    ORM: "bench.peers.sqlalchemy_orm",
    FASTCRUD: "bench.peers.fastcrud_app",
    LITESTAR: "bench.peers.litestar_app",
}


@dataclass(frozen=True)
class Baseline:
    variant: str
    module: str  # serves `<module>:create_app`
    environment: dict[str, str]
    # A baseline answers the service's very bytes; a peer answers in its framework's own JSON
    # (key order, envelope), compared as values.
    exact: bool = True


@dataclass(frozen=True)
class Target:
    """A database ready for a run: the service's DATABASES__products_db__* values for it,
    the baselines beside the service, and the server's version."""

    settings: dict[str, str]
    baselines: tuple[Baseline, ...]
    version: str
    connections: Counter | None = None  # connections opened on the database so far


@dataclass(frozen=True)
class Backend:
    key: str
    name: str
    open: Callable[[str, Path, int], AbstractContextManager[Target]]  # (url, workdir, pool size)
    default_url: str
    default_seed: int = 10_000


def database_settings(db_type: str, url: str, name: str = "products_db") -> dict[str, str]:
    """The service's DATABASES__<name>__* values for the database `url` names."""
    parts = urlsplit(url)
    values = {
        "DB_TYPE": db_type,
        "DB_HOST": parts.hostname or "127.0.0.1",
        "DB_PORT": str(parts.port),
        "DB_NAME": parts.path.strip("/"),
    }
    if parts.username:
        values["DB_USER"] = parts.username
    if parts.password:
        values["DB_PASSWORD"] = parts.password
    return {f"DATABASES__{name}__{key}": value for key, value in values.items()}


async def recreate_postgres(url: str) -> str:
    import asyncpg

    parts = urlsplit(url)
    admin = await asyncpg.connect(url.replace(parts.path, "/postgres", 1), timeout=5)
    try:
        database = parts.path.strip("/")
        await admin.execute(f'DROP DATABASE IF EXISTS "{database}" WITH (FORCE)')
        await admin.execute(f'CREATE DATABASE "{database}"')
        version: str = await admin.fetchval("SHOW server_version")
    finally:
        await admin.close()
    return f"PostgreSQL {version}"


@contextmanager
def postgres(url: str, workdir: Path, pool_size: int) -> Iterator[Target]:
    version = asyncio.run(recreate_postgres(url))
    environment = {"BENCH_DSN": url, "BENCH_POOL_SIZE": str(pool_size)}
    yield Target(
        settings=database_settings("postgres", url),
        baselines=(
            Baseline(BASELINE, "bench.baseline.postgres", environment),
            Baseline(
                PER_REQUEST, "bench.baseline.postgres", {**environment, "BENCH_CONNECT_PER_REQUEST": "1"}
            ),
            *(Baseline(peer, module, environment, exact=False) for peer, module in PEERS.items()),
        ),
        version=version,
        connections=postgres_sessions(url),
    )


async def recreate_mysql(url: str) -> str:
    import aiomysql

    parts = urlsplit(url)
    database = parts.path.strip("/")
    admin = await aiomysql.connect(
        host=parts.hostname, port=parts.port or 3306, user=parts.username, password=parts.password or ""
    )
    try:
        async with admin.cursor() as cursor:
            await cursor.execute(f"DROP DATABASE IF EXISTS `{database}`")
            await cursor.execute(f"CREATE DATABASE `{database}` CHARACTER SET utf8mb4")
            await cursor.execute("SELECT VERSION()")
            (version,) = await cursor.fetchone()
    finally:
        admin.close()
    return f"MariaDB {version}" if "mariadb" in version.lower() else f"MySQL {version}"


def mysql_environment(url: str) -> dict[str, str]:
    """The BENCH_MYSQL_* variables through which a baseline reaches the database `url` names."""
    parts = urlsplit(url)
    return {
        "BENCH_MYSQL_HOST": parts.hostname or "127.0.0.1",
        "BENCH_MYSQL_PORT": str(parts.port or 3306),
        "BENCH_MYSQL_USER": parts.username or "root",
        "BENCH_MYSQL_PASSWORD": parts.password or "",
        "BENCH_MYSQL_DB": parts.path.strip("/"),
    }


@contextmanager
def mysql(url: str, workdir: Path, pool_size: int) -> Iterator[Target]:
    version = asyncio.run(recreate_mysql(url))
    environment = {**mysql_environment(url), "BENCH_POOL_SIZE": str(pool_size)}
    yield Target(
        database_settings("mysql", url),
        (Baseline(BASELINE, "bench.baseline.mysql", environment),),
        version,
        mysql_connections(url),
    )


@contextmanager
def mongodb(url: str, workdir: Path, pool_size: int) -> Iterator[Target]:
    """`url` names a database on a running server; "secantus" starts a fresh SecantusDB."""
    if url != "secantus":
        yield _mongodb_target(url, recreate_mongodb(url), pool_size)
        return
    with secantus(workdir) as uri:
        url = f"{uri}/multidb_bench"
        recreate_mongodb(url)
        yield _mongodb_target(url, f"SecantusDB {metadata.version('secantusdb')}", pool_size)


@contextmanager
def secantus(workdir: Path) -> Iterator[str]:
    """A fresh SecantusDB in its own process, on empty storage in `workdir`: its URI, without
    a trailing slash, until the block ends."""
    storage = workdir / "secantus"
    storage.mkdir()
    with (workdir / "secantus.log").open("ab") as log:
        server = subprocess.Popen(
            [sys.executable, "-m", "bench.secantus_server", str(storage)],
            stdout=subprocess.PIPE,
            stderr=log,
            stdin=subprocess.DEVNULL,
        )
    try:
        assert server.stdout is not None
        uri = server.stdout.readline().decode().strip()
        if not uri:
            raise RuntimeError(f"SecantusDB did not start; see {workdir / 'secantus.log'}")
        yield uri.rstrip("/")
    finally:
        server.terminate()
        server.wait(timeout=30)


def recreate_mongodb(url: str) -> str:
    from pymongo import MongoClient

    client: MongoClient[dict[str, object]]
    with MongoClient(url, serverSelectionTimeoutMS=10_000) as client:
        client.drop_database(urlsplit(url).path.strip("/"))
        return f"MongoDB {client.server_info()['version']}"


def _mongodb_target(url: str, version: str, pool_size: int) -> Target:
    database = urlsplit(url).path.strip("/")
    environment = {"BENCH_MONGODB_URL": url, "BENCH_MONGODB_DB": database, "BENCH_POOL_SIZE": str(pool_size)}
    return Target(
        database_settings("mongodb", url),
        (Baseline(BASELINE, "bench.baseline.mongodb", environment),),
        version,
    )


BACKENDS = {
    backend.key: backend
    for backend in (
        Backend("postgres", "PostgreSQL", postgres, "postgresql://postgres@127.0.0.1:5432/multidb_bench"),
        Backend("mysql", "MariaDB", mysql, "mysql://root@127.0.0.1:3306/multidb_bench"),
        # SecantusDB scans in Python: on 10,000 documents one count_documents takes ~240 ms and
        # the sorted page ~320 ms, so GET list at 32 connections would only time out.
        Backend("mongodb", "MongoDB", mongodb, "secantus", default_seed=1_000),
    )
}
