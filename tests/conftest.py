from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pymysql
import pytest
from sqlalchemy import make_url

from tests.support import backends
from tests.support.servers import MariaDBServer, PostgresServer, SecantusServer, Server, ServerUnavailable

pytest_plugins = ["tests.support.figures"]

# The service reads these; a developer's own settings must not leak into the tests.
_SERVICE_VARIABLES = (
    "DB_",
    "DATABASES",
    "HOST",
    "PORT",
    "LOG_LEVEL",
    "LOG_FORMAT",
    "HEALTH_TIMEOUT",
    "API_KEYS",
    "MAX_BODY_BYTES",
    "TENANT",
    "SHARDS",
    "SQLITE_DEMO",
    "AUTO_MIGRATE",
    "RETRY_AFTER",
    "HTTP_",
    "FORWARDED_ALLOW_IPS",
    "CORS_",
    "METRICS",
    "OTEL_",
    "PROMETHEUS_MULTIPROC_DIR",
)


@pytest.fixture(scope="session", autouse=True)
def clean_environment() -> Iterator[None]:
    saved = {k: v for k, v in os.environ.items() if k.startswith(_SERVICE_VARIABLES)}
    for name in saved:
        del os.environ[name]
    yield
    os.environ.update(saved)


@pytest.fixture(scope="session")
def postgres_url() -> Iterator[str]:
    # The suite's own server may lose what it stores on a crash: fault tests kill others.
    fast = ("max_connections=300", "fsync=off", "synchronous_commit=off", "full_page_writes=off")
    with _given_or_own("postgres", lambda: PostgresServer(*fast)) as url:
        try:
            backends.run(backends.recreate_postgres_database(url))
        except (OSError, TimeoutError) as error:
            backends.unavailable("postgres", f"{_shown(url)}: {type(error).__name__}: {error}")
        yield url


@pytest.fixture(scope="session")
def mysql_url() -> Iterator[str]:
    fast = ("--innodb-flush-log-at-trx-commit=2", "--innodb-doublewrite=0")
    with _given_or_own("mysql", lambda: MariaDBServer(*fast)) as url:
        try:
            backends.run(backends.recreate_mysql_database(url))
        except (OSError, TimeoutError, pymysql.err.OperationalError) as error:
            backends.unavailable("mysql", f"{_shown(url)}: {type(error).__name__}: {error}")
        yield url


@contextmanager
def _given_or_own(backend: str, server_of_our_own: Callable[[], Server]) -> Iterator[str]:
    """The server TEST_<BACKEND>_URL names, else one the tests start on a free port."""
    variable = backends.VARIABLES[backend]
    given = backends.url_of(backend)
    if given:
        backends.ran(backend, f"{variable}={_shown(given)}")
        yield given
        return
    server: Server | None = None
    try:
        server = server_of_our_own()
        server.spawn()  # here, in the main thread: the server lives as long as it does
        backends.run(server.until_ready())
    except ServerUnavailable as error:
        if server is not None:
            backends.run(server.stop())
            server.remove()
        backends.unavailable(backend, f"no {variable}, and no server of the tests' own: {error}")
    own = f"a server of the tests' own, {_shown(server.url)}, {server.program} (no {variable} set)"
    backends.ran(backend, own)
    try:
        yield server.url
    finally:
        backends.run(server.stop())
        server.remove()


def _shown(url: str) -> str:
    return make_url(url).render_as_string(hide_password=True)


@pytest.fixture(scope="session")
def mongodb_url() -> Iterator[str]:
    """TEST_MONGODB_URL, else a SecantusDB server of the tests' own, in a process of its
    own. It ran in this process, on a thread, until two full runs saw the hung requests
    of tests/faults/test_database_hangs.py time out (after 3 s, then 8 s) before /health
    answered (0.5 s alone): most likely a stall of this process, which a server sharing
    the tests' GIL can cause, and a real MongoDB cannot."""
    with _given_or_own("mongodb", lambda: SecantusServer(durable=False)) as url:
        yield url


@pytest.fixture(scope="session")
def sqlserver_url() -> str:
    url = backends.url_of("sqlserver")
    if not url:
        backends.unavailable("sqlserver", "no SQL Server runs on this machine, and no TEST_SQLSERVER_URL")
    backends.ran("sqlserver", f"TEST_SQLSERVER_URL={_shown(url)}")
    return url


@pytest.hookimpl(wrapper=True, tryfirst=True)
def pytest_terminal_summary(terminalreporter: pytest.TerminalReporter) -> Iterator[None]:
    """The last lines before the counts: which backends ran, how to enable the others."""
    yield
    terminalreporter.section("backends")
    for line in backends.summary():
        terminalreporter.write_line(line)


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
