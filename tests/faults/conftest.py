"""Servers of the tests' own, which these tests kill, freeze and restart. Each is
started once per run; a test that takes one down brings it back before it ends."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest

from tests.support import backends
from tests.support.servers import MariaDBServer, PostgresServer, ServerUnavailable

_names = itertools.count()


@pytest.fixture(scope="session")
def own_postgres() -> Iterator[PostgresServer]:
    try:
        server = PostgresServer()
        server.spawn()  # here, in the main thread: the server lives as long as it does
        backends.run(server.until_ready())
    except ServerUnavailable as error:
        backends.unavailable("postgres", f"cannot run a PostgreSQL server of the tests' own: {error}")
    try:
        yield server
    finally:
        backends.run(server.stop())
        server.remove()


@pytest.fixture(scope="session")
def own_mariadb() -> Iterator[MariaDBServer]:
    try:
        server = MariaDBServer()
        server.spawn()  # here, in the main thread: the server lives as long as it does
        backends.run(server.until_ready())
    except ServerUnavailable as error:
        backends.unavailable("mysql", f"cannot run a MariaDB server of the tests' own: {error}")
    try:
        yield server
    finally:
        backends.run(server.stop())
        server.remove()


def fresh_name(prefix: str) -> str:
    return f"{prefix}_{next(_names)}"
