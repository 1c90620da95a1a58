"""What a serving process holds (bench/README.md, "Issue 11: memory"): the driver of each
configured kind of database and nothing of the others, no Alembic when no schema is
changed, no command line, no metrics client with METRICS off; and a supervisor of
WORKERS processes that holds none of the app."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import prometheus_client
import pytest

from app.api.routes.metrics import CONTENT_TYPE
from tests.support import backends, workers
from tests.support.process import service_environment

# What `python -m app` does before uvicorn takes over: the app built and started.
STARTED = """
import asyncio, json, sys
import app.__main__
from app.main import _default_app

async def start(app):
    async with app.router.lifespan_context(app):
        print(json.dumps(sorted(sys.modules)))

asyncio.run(start(_default_app()))
"""
DRIVERS = {
    "sqlite": "aiosqlite",
    "postgres": "asyncpg",
    "mysql": "aiomysql",
    "mongodb": "pymongo",
    "sqlserver": "aioodbc",
}
# With neither SQL Server nor METRICS: SQLAlchemy's MySQL and PostgreSQL dialects stay,
# for the tables' mysql_charset and the JSONB variant of the models' JSON columns.
UNNEEDED = ("sqlalchemy.dialects.mssql", "prometheus_client", "alembic", "mako", "app.cli", "app.shards")


def holds(modules: set[str], package: str) -> bool:
    return any(module == package or module.startswith(f"{package}.") for module in modules)


@pytest.fixture(params=["sqlite", "postgres"])
def primary(request: pytest.FixtureRequest, tmp_path: Path) -> dict[str, str]:
    """The primary's variables, every resource on it, its schema at head."""
    if request.param == "sqlite":
        variables = {"DB_TYPE": "sqlite", "DB_NAME": str(tmp_path / "primary.db")}
    else:
        url = backends.sibling(request.getfixturevalue("postgres_url"), "imports")
        backends.run(backends.recreate_postgres_database(url))
        variables = {"DB_TYPE": "postgres", "DB_CONNECTION_STRING": url}
    env = service_environment(**variables, METRICS="false")
    upgraded = subprocess.run([sys.executable, "-m", "app", "db", "upgrade"], env=env, capture_output=True)
    assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
    return variables


def test_a_started_service_imports_only_its_own_driver_and_no_schema_machinery(
    primary: dict[str, str],
) -> None:
    env = service_environment(**primary, METRICS="false")
    started = subprocess.run([sys.executable, "-c", STARTED], env=env, capture_output=True, text=True)
    assert started.returncode == 0, started.stderr

    modules = set(json.loads(started.stdout))
    own = DRIVERS[primary["DB_TYPE"]]
    assert holds(modules, own)
    unneeded = [*(driver for driver in DRIVERS.values() if driver != own), *UNNEEDED]
    assert not [package for package in unneeded if holds(modules, package)]


def mapped_files(pid: int) -> str:
    return Path(f"/proc/{pid}/maps").read_text()


async def test_the_supervisor_of_workers_maps_none_of_the_app(tmp_path: Path) -> None:
    env = service_environment(DB_TYPE="sqlite", DB_NAME=str(tmp_path / "primary.db"), AUTO_MIGRATE="true")
    async with workers.running(env, tmp_path, 2) as service:
        supervisor = mapped_files(service.process.pid)
        worker = mapped_files(min(workers.started_pids(service.output())))
    # Each is a compiled module, mapped by any process that imports its package.
    app = ("sqlalchemy", "dependency_injector", "_sqlite3")
    assert all(package in worker for package in app)
    assert not [package for package in app if package in supervisor]


def test_the_metrics_content_type_written_without_prometheus_client_is_its_own() -> None:
    assert CONTENT_TYPE == prometheus_client.CONTENT_TYPE_LATEST
