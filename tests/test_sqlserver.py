"""SQL Server without a server: the statements the service sends are compiled for the
mssql dialect and checked, and the FreeTDS ODBC driver is shown to load. The full
contract runs against a real server in tests/contract when TEST_SQLSERVER_URL is set."""

from __future__ import annotations

import re
from typing import Any
from uuid import uuid4

import pytest
from sqlalchemy import select
from sqlalchemy.dialects import mssql
from sqlalchemy.schema import CreateTable

from app.adapters.factory import DatabaseAdapterFactory
from app.adapters.sql.dialects import order_by, url_for
from app.errors import Unavailable
from app.models import EVENTS, PRODUCTS, USERS
from settings import DatabaseConfig
from tests.support import backends
from tests.support.ports import free_port

DIALECT: Any = mssql.dialect()  # type: ignore[no-untyped-call]
# What the dialect learns on connecting to SQL Server 2022 (the docker-compose image).
DIALECT.server_version_info = (16, 0)
DIALECT._supports_offset_fetch = True


def ddl(table: object) -> str:
    return str(CreateTable(table).compile(dialect=DIALECT))  # type: ignore[arg-type]


def test_tables_use_binary_collation_exact_decimals_and_sortable_uuids() -> None:
    users, products, events = ddl(USERS.table), ddl(PRODUCTS.table), ddl(EVENTS.table)

    assert "email NVARCHAR(320) COLLATE Latin1_General_100_BIN2 NOT NULL" in users
    assert "id CHAR(32) NOT NULL" in users  # not UNIQUEIDENTIFIER, which sorts by its last bytes
    assert "price NUMERIC(12, 2) NOT NULL" in products
    assert "stock BIGINT NOT NULL" in products
    assert "created_at DATETIME2(3) NOT NULL" in products
    assert "user_id CHAR(32) NULL" in events
    assert "properties NVARCHAR(max) NOT NULL" in events
    assert "UNIQUE (sku)" in products


def test_list_pages_with_order_by_offset_fetch() -> None:
    table = PRODUCTS.table
    statement = (
        select(table)
        .where(table.c.name == "x")
        .order_by(order_by(table.c.price, True, DIALECT), order_by(table.c.id, False, DIALECT))
        .limit(20)
        .offset(40)
    )

    sql = " ".join(str(statement.compile(dialect=DIALECT, compile_kwargs={"literal_binds": True})).split())

    assert re.search(
        r"ORDER BY products\.price DESC, products\.id ASC OFFSET 40 ROWS FETCH FIRST 20 ROWS ONLY", sql
    )
    assert "NULLS" not in sql  # SQL Server has no NULLS FIRST; its default already sorts them first


def test_uuid_and_decimal_parameters_bind_as_sql_server_expects() -> None:
    table = PRODUCTS.table
    id = uuid4()
    compiled = select(table).where(table.c.id == id).compile(dialect=DIALECT)
    bound = compiled.construct_params()
    processors: Any = compiled._bind_processors
    (name,) = bound
    value = processors[name](bound[name]) if name in processors else bound[name]

    assert value == id.hex


def test_the_url_names_the_odbc_driver_and_hides_the_password() -> None:
    config = DatabaseConfig(
        DB_TYPE="sqlserver",
        DB_HOST="db",
        DB_USER="sa",
        DB_PASSWORD="YourStrong@Passw0rd",
        DB_NAME="products_db",
    )

    url = url_for(config)

    assert url.drivername == "mssql+aioodbc"
    assert (url.host, url.port, url.database, url.query["driver"]) == ("db", 1433, "products_db", "FreeTDS")
    assert "YourStrong" not in str(url)


@pytest.fixture
def pyodbc() -> Any:
    """pyodbc, which loads unixODBC's libodbc when imported: skipped without it."""
    try:
        import pyodbc
    except ImportError as error:  # a missing shared library, not a missing module
        backends.unavailable(
            "sqlserver", f"pyodbc cannot load: {error}", "install Debian's unixodbc and tdsodbc"
        )
    return pyodbc


def test_the_freetds_odbc_driver_loads(pyodbc: Any) -> None:
    assert "FreeTDS" in pyodbc.drivers()

    with pytest.raises(pyodbc.Error) as raised:
        pyodbc.connect(
            f"DRIVER=FreeTDS;SERVER=127.0.0.1;PORT={free_port()};UID=sa;PWD=x;TDS_Version=7.4", timeout=2
        )

    assert "[FreeTDS]" in str(raised.value)  # the driver itself answered: it loaded


async def test_an_unreachable_sql_server_is_unavailable_not_a_crash(pyodbc: Any) -> None:
    config = DatabaseConfig(
        DB_TYPE="sqlserver",
        DB_HOST="127.0.0.1",
        DB_PORT=free_port(),
        DB_USER="sa",
        DB_NAME="x",
        CONNECT_TIMEOUT=2,
    )
    adapter = DatabaseAdapterFactory.create("products_db", config)
    await adapter.connect()
    try:
        with pytest.raises(Unavailable, match="products_db"):
            await adapter.get(PRODUCTS, uuid4())
    finally:
        await adapter.disconnect()
