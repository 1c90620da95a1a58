"""A database that refuses the login, does not exist or cannot be found at startup: one
warning naming it and why, the service starts, its routes answer 503, /health says why,
and it is used as soon as it answers; every CLI command fails in a line or two."""

from __future__ import annotations

import itertools
import logging
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import make_url

from tests.contract.helpers import problem
from tests.support import backends
from tests.support.process import service_environment
from tests.support.servers import SecantusServer, ServerUnavailable
from tests.support.service import container, serve, settings

ROOT = Path(__file__).resolve().parents[1]


def _with(url: str, **parts: Any) -> str:
    return make_url(url).set(**parts).render_as_string(hide_password=False)


def cases(request: pytest.FixtureRequest, backend: str) -> dict[str, tuple[dict[str, Any], str]]:
    """Each reason: analytics_db's settings, and the words that must say it."""
    if backend == "mongodb":
        server: SecantusServer = request.getfixturevalue("mongodb_with_auth")
        url = f"mongodb://app:wrong-password@127.0.0.1:{server.port}/multidb_test?authSource=admin"
        return {
            "wrong password": ({"DB_TYPE": "mongodb", "CONNECTION_STRING": url}, "authentication failed"),
            "unknown host": (
                {"DB_TYPE": "mongodb", "DB_HOST": "nosuchhost.invalid", "DB_NAME": "x", "CONNECT_TIMEOUT": 1},
                "not found",
            ),
        }
    url = request.getfixturevalue(f"{backend}_url")
    return {
        "missing role": (
            {"DB_TYPE": backend, "CONNECTION_STRING": _with(url, username="multidb_no_such_role")},
            "authentication failed for user 'multidb_no_such_role'",
        ),
        "wrong password": (
            {"DB_TYPE": backend, "CONNECTION_STRING": _with(url, password="wrong-password")},
            "authentication failed" if backend == "mysql" else "",  # trust auth: any password logs in
        ),
        "missing database": (
            {"DB_TYPE": backend, "CONNECTION_STRING": _with(url, database="multidb_no_such_database")},
            "database 'multidb_no_such_database' does not exist",
        ),
        "unknown host": (
            {
                "DB_TYPE": backend,
                "CONNECTION_STRING": _with(url, host="nosuchhost.invalid"),
                "CONNECT_TIMEOUT": 1,
            },
            "host 'nosuchhost.invalid' not found",
        ),
        "refused connection": (
            {"DB_TYPE": backend, "CONNECTION_STRING": _with(url, port=1)},
            "connection refused",
        ),
        **({"TLS refused": _tls_required(url)} if backend == "postgres" else {}),
    }


def _tls_required(url: str) -> tuple[dict[str, Any], str]:
    """A client that requires TLS, of a server that may not offer it (this machine's do not)."""
    import asyncpg

    async def offers_tls() -> bool:
        parsed = make_url(url)
        try:
            connection = await asyncpg.connect(
                host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
                database=parsed.database, ssl="require", timeout=5,
            )  # fmt: skip
        except (ConnectionError, OSError):
            return False
        await connection.close()
        return True

    settings = {"DB_TYPE": "postgres", "CONNECTION_STRING": _with(url, query={"sslmode": "require"})}
    return settings, "" if backends.run(offers_tls()) else "TLS failed"


@pytest.fixture(scope="module")
def mongodb_with_auth() -> Iterator[SecantusServer]:
    """A MongoDB-wire server that needs a password, with one user, `app`."""
    from pymongo import MongoClient

    try:
        server = SecantusServer()
        server.spawn()
        backends.run(server.until_ready())
    except ServerUnavailable as error:
        backends.unavailable("mongodb", f"cannot run a server of the tests' own: {error}")
    client: MongoClient[dict[str, Any]] = MongoClient(server.url)
    client.admin.command("createUser", "app", pwd="app-password", roles=["root"])
    client.close()
    backends.run(server.stop())
    auth = SecantusServer(auth=True)
    auth.root, auth.port = server.root, server.port
    auth.spawn()
    backends.run(auth.until_ready())
    yield auth
    backends.run(auth.stop())
    auth.remove()


@pytest.mark.parametrize("backend", ["postgres", "mysql", "mongodb"])
async def test_a_database_that_cannot_be_reached_at_startup_does_not_stop_the_service(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    for reason, (database, words) in cases(request, backend).items():
        caplog.clear()
        config = settings(
            DB_TYPE="sqlite",
            DB_NAME=str(tmp_path / f"{reason}.db"),
            DATABASES={"analytics_db": {**database, "QUERY_TIMEOUT": 5}},
        )
        with caplog.at_level(logging.INFO, logger="multidb"):
            async with serve(container(config)) as client:
                startup = [r.message for r in caplog.records if r.levelno >= logging.WARNING]
                answer = await client.get("/events")
                health = (await client.get("/health")).json()["databases"]["analytics_db"]
                users = await client.get("/users")
        if not words:  # the server lets any password in
            assert answer.status_code == 200, (reason, answer.text)
            continue
        body = problem(answer, 503)
        assert answer.headers["retry-after"]
        assert words in body["detail"], (reason, body)
        assert health["status"] == "down"
        assert words in health["reason"], (reason, health)
        assert users.status_code == 200  # the others carry on
        assert len(startup) == 1, (reason, startup)  # one line at startup, naming it and why
        assert "analytics_db" in startup[0]
        assert words in startup[0]
        assert "Traceback" not in caplog.text


async def test_a_database_created_after_the_start_is_used_without_a_restart(
    postgres_url: str, tmp_path: Path
) -> None:
    name = f"{make_url(postgres_url).database}_later"
    url = _with(postgres_url, database=name)
    config = settings(
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        DATABASES={"analytics_db": {"DB_TYPE": "postgres", "CONNECTION_STRING": url}},
    )
    await _drop_postgres_database(postgres_url, name)
    async with serve(container(config)) as client:
        problem(await client.get("/events"), 503)
        await _create_postgres_database(postgres_url, name)
        try:
            created = await client.post("/events", json={"type": "later"})
            assert created.status_code == 201, created.text
            assert (await client.get("/health")).json()["databases"]["analytics_db"]["status"] == "up"
        finally:
            await _drop_postgres_database(postgres_url, name)


async def _admin(url: str) -> Any:
    import asyncpg

    parsed = make_url(url)
    return await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database="postgres"
    )


async def _create_postgres_database(url: str, name: str) -> None:
    admin = await _admin(url)
    try:
        await admin.execute(f'CREATE DATABASE "{name}"')
    finally:
        await admin.close()


async def _drop_postgres_database(url: str, name: str) -> None:
    admin = await _admin(url)
    try:
        await admin.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    finally:
        await admin.close()


@pytest.mark.parametrize(
    "command", ["upgrade", "downgrade base", "current", "check", "revision --autogenerate -m probe"]
)
@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_every_cli_command_fails_in_a_line_or_two(
    backend: str, command: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    url = request.getfixturevalue(f"{backend}_url")
    bad = _with(url, database="multidb_no_such_database")
    env = service_environment(
        DATABASES__analytics_db__DB_TYPE=backend,
        DATABASES__analytics_db__CONNECTION_STRING=bad,
        DB_NAME=str(tmp_path / "primary.db"),
    )
    argv = [sys.executable, "-m", "app", "db", *command.split(), "--database", "analytics_db"]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    said = _after_routing_table(done.stderr)
    assert len(said) <= 2, said
    assert "Traceback" not in done.stderr
    assert "analytics_db" in said[-1]
    assert "database 'multidb_no_such_database' does not exist" in said[-1]
    verbose = subprocess.run([*argv, "--verbose"], env=env, cwd=ROOT, capture_output=True, text=True,
                             timeout=60, check=False)  # fmt: skip
    assert verbose.returncode == 1
    assert "Traceback" in verbose.stderr


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
def test_shards_rebalance_fails_in_a_line_or_two(
    backend: str, request: pytest.FixtureRequest, tmp_path: Path
) -> None:
    bad = _with(request.getfixturevalue(f"{backend}_url"), database="multidb_no_such_database")
    env = service_environment(
        DB_NAME=str(tmp_path / "primary.db"),
        DATABASES__events_a__DB_TYPE=backend,
        DATABASES__events_a__CONNECTION_STRING=bad,
        DATABASES__events_b__DB_TYPE="memory",
        SHARDS__analytics_db="events_a,events_b",
    )
    argv = [sys.executable, "-m", "app", "shards", "rebalance"]
    done = subprocess.run(argv, env=env, cwd=ROOT, capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 1, done.stderr
    said = done.stderr.splitlines()
    assert 1 <= len(said) <= 2, said
    assert "Traceback" not in done.stderr
    assert "events_a" in said[-1]
    assert "database 'multidb_no_such_database' does not exist" in said[-1]


def _after_routing_table(stderr: str) -> list[str]:
    """What a CLI command said of its own, after the routing table that every command
    prints first (app/routing_table.py: its heading, then a line per route and database)."""
    lines = [line for line in stderr.splitlines() if " INFO " not in line]
    assert lines, stderr
    assert lines[0].startswith("==== routing table"), lines
    table = ("==== routing table", "route /", "database ")
    return list(itertools.dropwhile(lambda line: line.startswith(table), lines))
