"""A database kind registered at test time, as README "Add a database kind" says: one
entry in settings/kinds.py's KINDS and its connect options in app/adapters/sql/dialects.py.
`cockroachdb` speaks postgresql+asyncpg, so the tests run it on the real PostgreSQL server."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import pytest

from app.adapters.sql.dialects import SQL_KINDS, SQLKind
from settings import DatabaseConfig
from settings.kinds import KINDS, Kind

NAME = "cockroachdb"
KIND = Kind(
    "app.adapters.sql.adapter:SQLAdapter",
    frozenset({"cockroachdb", "cockroachdb+asyncpg"}),
    port=26257,
    driver="asyncpg",
    extra="postgres",
    sqlalchemy="postgresql+asyncpg",
)
DIALECT = SQLKind(lambda config: {"timeout": config.CONNECT_TIMEOUT})


@contextmanager
def registered() -> Iterator[None]:
    with pytest.MonkeyPatch.context() as patch:
        patch.setitem(KINDS, NAME, KIND)
        patch.setitem(SQL_KINDS, NAME, DIALECT)
        yield


def url_on_postgres(postgres_url: str) -> str:
    """A CONNECTION_STRING of the registered kind that reaches the PostgreSQL of `postgres_url`."""
    return f"{NAME}://{postgres_url.partition('://')[2]}"


# The built-in kind whose server a SQL kind speaks, by SQLAlchemy's dialect name.
_SPOKEN = {"postgresql": "postgres", "mysql": "mysql", "mssql": "sqlserver", "sqlite": "sqlite"}


def server_of(config: DatabaseConfig) -> str:
    """The server a database of `config` talks to, as the tests' own drivers reach it:
    the registered kind is PostgreSQL."""
    spoken = config.kind.sqlalchemy
    return _SPOKEN[spoken.partition("+")[0]] if spoken else config.DB_TYPE
