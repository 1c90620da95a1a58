from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pymysql
import pytest

from tests.support import backends

pytest_plugins = ["tests.support.figures"]

# The service reads these; a developer's own settings must not leak into the tests.
_SERVICE_VARIABLES = (
    "DB_",
    "DATABASES",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "HEALTH_TIMEOUT",
    "API_KEYS",
    "MAX_BODY_BYTES",
    "TENANT",
    "HTTP_",
    "FORWARDED_ALLOW_IPS",
    "CORS_",
)


@pytest.fixture(scope="session", autouse=True)
def clean_environment() -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith(_SERVICE_VARIABLES)}
    for name in saved:
        del os.environ[name]
    yield
    os.environ.update(saved)


@pytest.fixture(scope="session")
def postgres_url() -> str:
    url = backends.url_of("postgres")
    assert url is not None
    try:
        backends.run(backends.recreate_postgres_database(url))
    except (OSError, TimeoutError) as error:
        backends.unavailable("postgres", type(error).__name__)
    return url


@pytest.fixture(scope="session")
def mysql_url() -> str:
    url = backends.url_of("mysql")
    assert url is not None
    try:
        backends.run(backends.recreate_mysql_database(url))
    except (OSError, TimeoutError, pymysql.err.OperationalError) as error:
        backends.unavailable("mysql", type(error).__name__)
    return url


@pytest.fixture(scope="session")
def mongodb_url(tmp_path_factory: pytest.TempPathFactory) -> Iterator[str]:
    url = backends.url_of("mongodb")
    if url:
        yield url
        return
    from secantus import SecantusDBServer

    server = SecantusDBServer(port=0, storage_path=str(tmp_path_factory.mktemp("secantus")))
    server.start()
    try:
        yield server.uri
    finally:
        server.stop()


@pytest.fixture(scope="session")
def sqlserver_url() -> str:
    url = backends.url_of("sqlserver")
    if not url:
        backends.unavailable("sqlserver", "no SQL Server runs on this machine")
    return url


@pytest.fixture(scope="session")
def sqlite_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("sqlite")


def backend_database(request: pytest.FixtureRequest, backend: str, label: str = "db") -> dict[str, Any]:
    """DATABASES__<name>__* values for one named database on `backend`."""
    if backend == "memory":
        return backends.database_config("memory", "")
    if backend == "sqlite":
        directory: Path = request.getfixturevalue("sqlite_dir")
        return backends.database_config("sqlite", str(directory / f"{label}.db"))
    return backends.database_config(backend, request.getfixturevalue(f"{backend}_url"))
