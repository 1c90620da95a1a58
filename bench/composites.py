"""`python -m bench --plan composites`: what the new features cost.

- **Expansion**: `GET /events?limit=20&expand=user,product`, events on PostgreSQL, users on
  MongoDB and products on MySQL/MariaDB, through the service and through a baseline written
  by hand on the three raw drivers (bench/baseline/events.py); and the same page without
  `expand`, on both, so the expansion's own cost shows.
- **Sharding**: `GET /events/{id}` and `GET /events?limit=20` through the service with events
  sharded over two PostgreSQL databases and a MySQL/MariaDB one, against the service with the
  same rows in one PostgreSQL database. There is no hand-written baseline here: the reference
  is the service itself, unsharded.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path
from urllib.parse import urlsplit

from bench.backends import (
    BASELINE,
    SERVICE,
    database_settings,
    mysql_environment,
    recreate_mongodb,
    recreate_mysql,
    recreate_postgres,
    secantus,
)
from bench.composites_seed import seed
from bench.load import Workload
from bench.parity import compare_reads
from bench.run import Contender, Options, Outcome, measure_in_turn, started_servers
from bench.schema import create_schema
from bench.servers import Server
from bench.variants import ROOT, baseline_server, imported_app, python_environment, service_server

logger = logging.getLogger("bench")

EXPANSION, SHARDING = "Expansion", "Sharding"
ONE_DATABASE, SHARDED = "one database", "3 shards"
EXPAND = Workload("GET list, expand=user,product", "/events?limit=20&expand=user,product")
LIST = Workload("GET list", "/events?limit=20")
GET_ONE = Workload("GET one", "/events", "get.lua", uses_ids=True)
WORKLOADS = (EXPAND, LIST, GET_ONE)
SETTLE_PATH = "/events?limit=1"

DEFAULT_URLS = {
    "postgres": "postgresql://postgres@127.0.0.1:5432/multidb_bench2",
    "mysql": "mysql://root@127.0.0.1:3306/multidb_bench2",
    "mongodb": "secantus",
}
# (users, products, events): SecantusDB scans in Python, so the users stay few.
DEFAULT_COUNTS = (100, 1_000, 5_000)
SMOKE_COUNTS = (20, 50, 200)
SHARDS = ("events_a", "events_b", "events_c")  # two PostgreSQL databases, then one MySQL/MariaDB
COPY = "events_one"  # during the seed: the one database that gets every event too


@dataclass(frozen=True)
class Databases:
    """The URLs of every database of the run, each made afresh, and their servers' versions."""

    events: str  # PostgreSQL: every event, for the service unsharded and the baseline
    shards: dict[str, tuple[str, str]]  # shard name -> (DB_TYPE, URL)
    products: str  # MySQL/MariaDB
    users: str  # MongoDB
    versions: dict[str, str]


def _sibling(url: str, suffix: str) -> str:
    path = urlsplit(url).path
    return url.replace(path, f"{path}_{suffix}", 1)


@contextmanager
def databases(options: Options, workdir: Path) -> Iterator[Databases]:
    urls = {key: options.urls.get(key) or default for key, default in DEFAULT_URLS.items()}
    events, products = urls["postgres"], urls["mysql"]
    shards = {
        SHARDS[0]: ("postgres", _sibling(events, "shard_a")),
        SHARDS[1]: ("postgres", _sibling(events, "shard_b")),
        SHARDS[2]: ("mysql", _sibling(products, "shard_c")),
    }
    versions = {"PostgreSQL": asyncio.run(recreate_postgres(events))}
    versions["MySQL/MariaDB"] = asyncio.run(recreate_mysql(products))
    for db_type, url in shards.values():
        asyncio.run(recreate_postgres(url) if db_type == "postgres" else recreate_mysql(url))
    if urls["mongodb"] != "secantus":
        versions["MongoDB"] = recreate_mongodb(urls["mongodb"])
        yield Databases(events, shards, products, urls["mongodb"], versions)
        return
    with secantus(workdir) as uri:
        users = f"{uri}/multidb_bench2"
        recreate_mongodb(users)
        versions["MongoDB"] = f"SecantusDB {metadata.version('secantusdb')}"
        yield Databases(events, shards, products, users, versions)


def _pooled(settings: dict[str, str], name: str, pool_size: int) -> dict[str, str]:
    """`settings` of the named database, with a pool as large as each baseline's."""
    sized = {f"DATABASES__{name}__POOL_SIZE": str(pool_size), f"DATABASES__{name}__MAX_OVERFLOW": "0"}
    return {**settings, **sized}


def environments(found: Databases, workdir: Path, pool_size: int) -> dict[str, dict[str, str]]:
    """The service's environment with every event in one database, sharded, and the seed's."""

    def database(db_type: str, url: str, name: str) -> dict[str, str]:
        return _pooled(database_settings(db_type, url, name), name, pool_size)

    def common(label: str) -> dict[str, str]:
        return {
            **python_environment(),
            "DB_TYPE": "sqlite",
            "DB_NAME": str(workdir / f"primary-{label}.db"),
            "LOG_LEVEL": "WARNING",
            **database("mongodb", found.users, "users_db"),
            **database("mysql", found.products, "products_db"),
        }

    shards: dict[str, str] = {}
    for name, (db_type, url) in found.shards.items():
        shards |= database(db_type, url, name)
    sharded = {**shards, "SHARDS__analytics_db": ",".join(found.shards)}
    return {
        ONE_DATABASE: {**common("one"), **database("postgres", found.events, "analytics_db")},
        SHARDED: {**common("sharded"), **sharded},
        "seed": {**common("seed"), **sharded, **database("postgres", found.events, COPY)},
    }


def baseline_environment(found: Databases, pool_size: int) -> dict[str, str]:
    return {
        "BENCH_DSN": found.events,
        "BENCH_MONGODB_URL": found.users,
        "BENCH_MONGODB_DB": urlsplit(found.users).path.strip("/"),
        **mysql_environment(found.products),
        "BENCH_POOL_SIZE": str(pool_size),
    }


def run(options: Options, workdir: Path, counts: tuple[int, int, int]) -> Outcome:
    outcome = Outcome()
    workdir.mkdir(parents=True, exist_ok=True)
    try:
        _run(options, workdir, counts, outcome)
    except Exception as error:  # reported like a backend's failure in the products plan
        logger.exception("the composites failed")
        outcome.problems.append(f"composites: {type(error).__name__}: {error}")
    return outcome


def _run(options: Options, workdir: Path, counts: tuple[int, int, int], outcome: Outcome) -> None:
    with databases(options, workdir) as found:
        outcome.servers.update(found.versions)
        environment = environments(found, workdir, options.pool_size)
        logger.info("composites: creating the schema, seeding %d users, %d products, %d events", *counts)
        create_schema(environment[ONE_DATABASE], ROOT)
        create_schema(environment[SHARDED], ROOT)
        ids_file = workdir / "event-ids.txt"
        ids = seed(environment["seed"], ROOT, counts, COPY, ids_file)
        outcome.seeded = dict(zip(("users", "products", "events"), counts, strict=True))
        outcome.imported_app = imported_app(environment[ONE_DATABASE])
        if not outcome.imported_app.startswith(str(ROOT)):
            outcome.problems.append(f"the service imports app from {outcome.imported_app}, not from {ROOT}")
        chosen = [
            service_server(SERVICE, environment[ONE_DATABASE], workdir / "service.log"),
            baseline_server(
                BASELINE,
                "bench.baseline.events",
                baseline_environment(found, options.pool_size),
                workdir / "baseline.log",
            ),
            service_server(ONE_DATABASE, environment[ONE_DATABASE], workdir / "one-database.log"),
            service_server(SHARDED, environment[SHARDED], workdir / "sharded.log"),
        ]
        with started_servers("composites", chosen, outcome.problems) as running:
            servers = {server.name: server for server in running}
            if len(servers) < len(chosen):
                return
            outcome.problems += _parity(servers, ids)
            expansion = [
                Contender(workload, servers[variant])
                for workload in (EXPAND, LIST)
                for variant in (SERVICE, BASELINE)
            ]
            measure_in_turn(EXPANSION, expansion, options, ids_file, outcome, SETTLE_PATH)
            for workload in (GET_ONE, LIST):
                sharding = [Contender(workload, servers[variant]) for variant in (ONE_DATABASE, SHARDED)]
                measure_in_turn(SHARDING, sharding, options, ids_file, outcome, SETTLE_PATH)


def _parity(chosen: dict[str, Server], ids: list[str]) -> list[str]:
    """The baseline answers what the service answers, and the sharded service what the
    unsharded one does, byte for byte, before anything is measured."""
    expanded = [
        EXPAND.path,
        "/events?limit=5&offset=17&expand=user,product",
        "/events?limit=3&expand=product",
    ]
    problems = compare_reads(chosen[SERVICE], [chosen[BASELINE]], [*expanded, LIST.path])
    reads = [f"/events/{ids[0]}", f"/events/{ids[-1]}", LIST.path, "/events?limit=7&offset=30"]
    problems += compare_reads(chosen[ONE_DATABASE], [chosen[SHARDED]], reads)
    return [f"parity: {problem}" for problem in problems]
