"""What differs between the SQL databases: how to reach them and how they sort nulls.

A kind's SQLAlchemy driver is declared with the kind (settings/kinds.py); what else a SQL
kind needs to connect is here, under the kind's name, in SQL_KINDS. Quirks of a dialect
(how PostgreSQL sorts nulls, the column types of app/models/columns.py) follow SQLAlchemy's
dialect name, so a kind that speaks postgresql+asyncpg has PostgreSQL's."""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from dataclasses import dataclass, field
from decimal import Decimal
from pathlib import Path
from typing import Any

from sqlalchemy import URL, ColumnElement, make_url
from sqlalchemy.engine import Dialect

from app.models.types import INT64_MAX, INT64_MIN
from settings import DatabaseConfig

Options = Callable[[DatabaseConfig], dict[str, Any]]


def _none(config: DatabaseConfig) -> dict[str, Any]:
    return {}


@dataclass(frozen=True)
class SQLKind:
    """How the driver of one SQL kind is asked to connect: its connect_args (timeouts,
    the application's name), and the query of a URL built from DB_HOST, DB_NAME, ..."""

    connect_args: Options
    query: Options = field(default=_none)
    # Keys of a connection string's query by the driver's own name: libpq's `sslmode`
    # (what a PostgreSQL user writes) is asyncpg's `ssl`, with the same values.
    renamed: dict[str, str] = field(default_factory=dict)


def _sqlserver_query(config: DatabaseConfig) -> dict[str, Any]:
    query = {"driver": config.ODBC_DRIVER, "TrustServerCertificate": "yes"}
    if config.ODBC_DRIVER == "FreeTDS":
        query["TDS_Version"] = "7.4"
    return query


SQL_KINDS: dict[str, SQLKind] = {
    "postgres": SQLKind(
        lambda config: {
            "timeout": config.CONNECT_TIMEOUT,
            "server_settings": {"application_name": "multidb"},
        },
        renamed={"sslmode": "ssl"},
    ),
    "mysql": SQLKind(
        lambda config: {"connect_timeout": config.CONNECT_TIMEOUT}, lambda config: {"charset": "utf8mb4"}
    ),
    "sqlserver": SQLKind(lambda config: {"timeout": int(config.CONNECT_TIMEOUT) or 1}, _sqlserver_query),
    "sqlite": SQLKind(lambda config: {"timeout": config.CONNECT_TIMEOUT}),
}


def url_for(config: DatabaseConfig) -> URL:
    url = _url(config)
    if config.READ_ONLY:  # READ_ONLY says which intent, whatever the connection string says
        return url.update_query_pairs(config.kind.read_only_query)
    return url


def _url(config: DatabaseConfig) -> URL:
    drivername = config.kind.sqlalchemy
    if drivername is None:
        raise ValueError(f"DB_TYPE={config.DB_TYPE} is not spoken through SQLAlchemy")
    if config.CONNECTION_STRING is not None:
        # The scheme says which kind (settings checked it); the kind says which driver.
        url = make_url(config.CONNECTION_STRING.get_secret_value()).set(drivername=drivername)
        renamed = SQL_KINDS[config.DB_TYPE].renamed
        return url.set(query={renamed.get(key, key): value for key, value in url.query.items()})
    if not config.kind.server:
        return URL.create(drivername, database=config.DB_NAME)
    return URL.create(
        drivername,
        username=config.DB_USER,
        password=config.password or None,
        host=config.DB_HOST,
        port=config.DB_PORT,
        database=config.DB_NAME,
        query=SQL_KINDS[config.DB_TYPE].query(config),
    )


def engine_options(config: DatabaseConfig) -> dict[str, Any]:
    options: dict[str, Any] = {
        # The overflow connections are kept once opened: SQLAlchemy closes its own overflow on
        # every return, so under steady load above POOL_SIZE it would open and close a
        # connection per request (measured: ~420 new PostgreSQL sessions in a 5 s run).
        "pool_size": config.POOL_SIZE + config.MAX_OVERFLOW,
        "max_overflow": 0,
        "pool_timeout": config.POOL_TIMEOUT,
        # No ping on checkout: on asyncpg it is three round trips per request (see
        # bench/README.md). A dead connection is found by the statement that uses it;
        # SQLAlchemy then drops the whole pool, and reads are retried once.
        "pool_recycle": 1800,
    }
    options["connect_args"] = SQL_KINDS[config.DB_TYPE].connect_args(config)
    options["json_deserializer"] = load_json
    return options


def _number(text: str) -> int | float:
    """An integer of JSON text as written: PostgreSQL's jsonb writes a large float such as
    3.4e+170 out in digits, and the models take no integer past 64 bits, so such an
    integer was a float when it was stored (one past the doubles stays as it is)."""
    number = int(text)
    if INT64_MIN <= number <= INT64_MAX:
        return number
    as_float = float(text)
    return as_float if math.isfinite(as_float) else number


def _float(text: str) -> float | int:
    """A number with a fraction or an exponent; past the doubles (1e400, stored by another
    tool), the integer it is rather than infinity."""
    number = float(text)
    return number if math.isfinite(number) else int(Decimal(text))


def load_json(text: Any) -> Any:
    """A JSON column's value. What is not JSON text (another tool wrote it: SQLite and
    SQL Server do not check) is returned as it is, so that the row is still read."""
    try:
        return json.loads(text, parse_int=_number, parse_float=_float)
    except (ValueError, TypeError, RecursionError):
        return text


def ensure_sqlite_directory(url: URL) -> None:
    if url.get_backend_name() == "sqlite" and url.database and url.database != ":memory:":
        Path(url.database).parent.mkdir(parents=True, exist_ok=True)


def order_by(column: ColumnElement[Any], descending: bool, dialect: Dialect) -> ColumnElement[Any]:
    """Nulls sort as the smallest value everywhere. PostgreSQL alone sorts them as the
    largest, and MySQL and SQL Server do not accept NULLS FIRST, so only PostgreSQL
    is told, and only for a column that can be null: NULLS FIRST on a NOT NULL column
    would keep PostgreSQL from using an index for the order."""
    ordered = column.desc() if descending else column.asc()
    if dialect.name == "postgresql" and getattr(column, "nullable", True):
        return ordered.nulls_last() if descending else ordered.nulls_first()
    return ordered


def identity_of(config: DatabaseConfig) -> str:
    """Where the data is, without credentials: the same for two names of one database."""
    url = url_for(config)
    if url.get_backend_name() == "sqlite":
        return f"sqlite:{Path(url.database or '').resolve()}"
    return f"{url.get_backend_name()}://{url.host}:{url.port or ''}/{url.database}"
