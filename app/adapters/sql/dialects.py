"""What differs between the SQL databases: how to reach them and how they sort nulls."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from sqlalchemy import URL, ColumnElement, make_url
from sqlalchemy.engine import Dialect

from app.models.types import INT64_MAX, INT64_MIN
from settings import DatabaseConfig

DRIVERNAMES = {
    "postgres": "postgresql+asyncpg",
    "mysql": "mysql+aiomysql",
    "sqlserver": "mssql+aioodbc",
    "sqlite": "sqlite+aiosqlite",
}


def url_for(config: DatabaseConfig) -> URL:
    drivername = DRIVERNAMES[config.DB_TYPE]
    if config.CONNECTION_STRING is not None:
        url = make_url(_with_sqlalchemy_scheme(config.CONNECTION_STRING.get_secret_value()))
        return url.set(drivername=drivername)
    if config.DB_TYPE == "sqlite":
        return URL.create(drivername, database=config.DB_NAME)
    query: dict[str, str] = {}
    if config.DB_TYPE == "mysql":
        query["charset"] = "utf8mb4"
    if config.DB_TYPE == "sqlserver":
        query = {"driver": config.ODBC_DRIVER, "TrustServerCertificate": "yes"}
        if config.ODBC_DRIVER == "FreeTDS":
            query["TDS_Version"] = "7.4"
    return URL.create(
        drivername,
        username=config.DB_USER,
        password=config.password or None,
        host=config.DB_HOST,
        port=config.DB_PORT,
        database=config.DB_NAME,
        query=query,
    )


def _with_sqlalchemy_scheme(url: str) -> str:
    scheme, sep, rest = url.partition("://")
    aliases = {"postgres": "postgresql", "mariadb": "mysql", "sqlserver": "mssql"}
    return aliases.get(scheme.split("+")[0].lower(), scheme) + sep + rest


def engine_options(config: DatabaseConfig) -> dict[str, Any]:
    options: dict[str, Any] = {
        "pool_size": config.POOL_SIZE,
        "max_overflow": config.MAX_OVERFLOW,
        "pool_timeout": config.POOL_TIMEOUT,
        # No ping on checkout: on asyncpg it is three round trips per request (see
        # bench/README.md). A dead connection is found by the statement that uses it;
        # SQLAlchemy then drops the whole pool, and reads are retried once.
        "pool_recycle": 1800,
    }
    timeout = config.CONNECT_TIMEOUT
    connect_args: dict[str, dict[str, Any]] = {
        "postgres": {"timeout": timeout, "server_settings": {"application_name": "multidb"}},
        "mysql": {"connect_timeout": timeout},
        "sqlserver": {"timeout": int(timeout) or 1},
        "sqlite": {"timeout": timeout},
    }
    options["connect_args"] = connect_args[config.DB_TYPE]
    options["json_deserializer"] = load_json
    return options


def _number(text: str) -> int | float:
    """An integer of JSON text as written: PostgreSQL's jsonb writes a large float such as
    3.4e+170 out in digits, and the models take no integer past 64 bits, so such an
    integer was a float when it was stored."""
    number = int(text)
    return number if INT64_MIN <= number <= INT64_MAX else float(text)


def load_json(text: str) -> Any:
    return json.loads(text, parse_int=_number)


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
