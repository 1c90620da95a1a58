"""SQL Server Always On readable secondaries as READ_REPLICAS.

Without a server: the settings build each replica's URL with read-only intent, the
position queries are what the mssql dialect writes, positions are parsed and compared
as numbers, and the replicated database routes by them (positions stated by SQLite
tables, through the container). With TEST_SQLSERVER_URL alone: a database outside an
availability group states no position. With TEST_SQLSERVER_URL and
TEST_SQLSERVER_REPLICA_URL (an availability group's primary and a readable secondary of
the same database): the service end to end."""

from __future__ import annotations

import logging
import os
from collections.abc import AsyncIterator
from decimal import Decimal
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import httpx
import pytest
from pydantic import ValidationError
from sqlalchemy import column, func, select, table, text
from sqlalchemy.dialects import mssql

from app import consistency
from app.adapters.factory import DatabaseAdapterFactory
from app.adapters.sql.adapter import SQLAdapter
from app.adapters.sql.dialects import url_for
from app.adapters.sql.replicated import ReplicatedAdapter
from app.adapters.sql.replication import PositionUnknown, SQLServerReplication, sqlserver_lsn
from app.models import PRODUCTS
from settings import DatabaseConfig, Settings
from tests.support.service import container, serve, settings
from tests.test_replicas import replica, until, untokened

TOKEN = "X-Consistency-Token"
DIALECT: Any = mssql.dialect()  # type: ignore[no-untyped-call]
PRIMARY_URL = "mssql://app:pw@ag-listener:1433/shop?driver=FreeTDS&TDS_Version=7.4"


def odbc(config: DatabaseConfig) -> str:
    """The ODBC connection string the driver is given for `config`."""
    url = url_for(config)
    _, options = url.get_dialect()().create_connect_args(url)
    return str(options["dsn"])


def test_read_replicas_are_accepted_for_sqlserver_and_connect_with_read_only_intent() -> None:
    config = DatabaseConfig(
        DB_TYPE="sqlserver",
        CONNECTION_STRING=PRIMARY_URL,
        READ_REPLICAS="sql-2:1433, mssql://reader:pw2@sql-3:1433/shop?driver=FreeTDS&ApplicationIntent=ReadWrite",
    )
    shared, own = config.replicas()

    assert "ApplicationIntent" not in odbc(config)  # the primary writes
    assert odbc(shared) == (
        "DRIVER={FreeTDS};Server=sql-2,1433;Database=shop;UID=app;PWD=pw;TDS_Version=7.4;ApplicationIntent=ReadOnly"
    )
    # A replica's own connection string keeps its credentials; READ_ONLY sets the intent.
    assert (
        odbc(own)
        == "DRIVER={FreeTDS};Server=sql-3,1433;Database=shop;UID=reader;PWD=pw2;ApplicationIntent=ReadOnly"
    )
    assert (shared.READ_ONLY, own.READ_ONLY, config.READ_ONLY) == (True, True, False)


def test_replicas_of_a_primary_given_by_host_get_their_intent_too() -> None:
    config = DatabaseConfig(
        DB_TYPE="sqlserver", DB_HOST="ag-listener", DB_USER="app", DB_NAME="shop", READ_REPLICAS="sql-2"
    )
    (secondary,) = config.replicas()

    assert (secondary.DB_HOST, secondary.DB_PORT) == ("sql-2", 1433)
    assert url_for(secondary).query["ApplicationIntent"] == "ReadOnly"
    assert "ApplicationIntent" not in url_for(config).query


def test_the_primary_and_named_databases_take_read_replicas_and_read_only_from_the_environment() -> None:
    configured = Settings(
        _env_file=None,
        DB_TYPE="sqlserver",
        DB_CONNECTION_STRING=PRIMARY_URL,
        DB_READ_REPLICAS="sql-2:1433,sql-3:1433",
        DATABASES={
            "reports_db": {"DB_TYPE": "sqlserver", "CONNECTION_STRING": PRIMARY_URL, "READ_ONLY": True}
        },
    )

    replicas = [url_for(replica) for replica in configured.primary.replicas()]
    assert [(url.host, url.query["ApplicationIntent"]) for url in replicas] == [
        ("sql-2", "ReadOnly"),
        ("sql-3", "ReadOnly"),
    ]
    reports = configured.DATABASES["reports_db"]
    assert url_for(reports).query["ApplicationIntent"] == "ReadOnly"


def test_read_only_intent_is_refused_where_the_kind_has_none() -> None:
    with pytest.raises(ValidationError, match="READ_ONLY \\(read-only intent\\) is for sqlserver databases"):
        DatabaseConfig(DB_TYPE="postgres", DB_HOST="db", DB_USER="u", DB_NAME="n", READ_ONLY=True)
    postgres = DatabaseConfig(
        DB_TYPE="postgres", DB_HOST="db", DB_USER="u", DB_NAME="n", READ_REPLICAS="r:5432"
    )
    assert not postgres.replicas()[0].READ_ONLY


def normalized(sql: str) -> str:
    return " ".join(sql.split())


@pytest.mark.parametrize(
    ("query", "lsn", "is_primary"),
    [
        (SQLServerReplication.primary_query, "last_commit_lsn", 1),
        (SQLServerReplication.replayed_query, "last_redone_lsn", 0),
    ],
)
def test_the_position_queries_are_what_the_mssql_dialect_writes(
    query: str, lsn: str, is_primary: int
) -> None:
    states = table("dm_hadr_database_replica_states", column(lsn), schema="sys")
    statement = select(states.c[lsn]).where(
        column("database_id") == func.DB_ID(),
        column("is_local") == 1,
        column("is_primary_replica") == is_primary,
    )
    written = statement.compile(dialect=DIALECT, compile_kwargs={"literal_binds": True})

    assert normalized(str(written)).replace("sys.dm_hadr_database_replica_states.", "") == normalized(query)
    assert not text(query).compile(dialect=DIALECT).params  # nothing bound: the same text every time


def test_lsns_are_read_as_numbers_and_a_missing_row_is_no_position() -> None:
    assert sqlserver_lsn(Decimal("39000000034400001")) == 39000000034400001  # numeric(25,0) via pyodbc
    assert sqlserver_lsn("39000000034400001") == 39000000034400001
    assert sqlserver_lsn(Decimal("3.9E+16")) == 39000000000000000
    assert sqlserver_lsn(None) is None  # no row: not in an availability group, or not that role
    for wrong in ("16/B374D848", "1.5", "-1", "NaN", Decimal("Infinity")):
        with pytest.raises(ValueError, match="not an LSN"):
            sqlserver_lsn(wrong)


def test_a_secondary_has_a_write_once_it_has_redone_that_far() -> None:
    replication = SQLServerReplication()

    assert replication.reached("39000000034400001", "39000000034400001")
    assert replication.reached("39000000034500002", "39000000034400001")
    assert not replication.reached("39000000034400001", "39000000034500002")
    # Numbers, not text: a shorter LSN is an earlier one.
    assert replication.reached("100000000000000000", "99000000034400001")
    with pytest.raises(ValueError, match="invalid literal"):  # another family's: counted as not reached
        replication.reached("39000000034400001", "16/B374D848")


class StatedPositions(SQLServerReplication):
    """SQL Server's reader with its queries answered by a table of each SQLite database,
    which the test writes: positions stated, and compared, as SQL Server's are."""

    primary_query = "SELECT lsn FROM stated_position"
    replayed_query = "SELECT lsn FROM stated_position"


async def state(adapter: SQLAdapter, lsn: int | None) -> None:
    """Make the SQLite database of `adapter` (connected) state `lsn`, or no row."""
    async with adapter.engine.begin() as connection:
        await connection.execute(text("CREATE TABLE IF NOT EXISTS stated_position (lsn INTEGER)"))
        await connection.execute(text("DELETE FROM stated_position"))
        if lsn is not None:
            await connection.execute(text("INSERT INTO stated_position VALUES (:lsn)"), {"lsn": lsn})


@pytest.fixture
async def stated(tmp_path: Path) -> AsyncIterator[tuple[httpx.AsyncClient, ReplicatedAdapter]]:
    """A service whose products_db is configured as SQL Server with a secondary, and is
    in fact a primary and a replica of two SQLite files with their own rows, routed by
    the positions their stated_position tables hold."""

    def sqlite(name: str) -> DatabaseConfig:
        return DatabaseConfig(
            DB_TYPE="sqlite",
            DB_NAME=str(tmp_path / name),
            REPLICA_CHECK_INTERVAL=0.05,
            MAX_REPLICA_LAG_MS=60_000,
        )

    for name in ("primary.db", "replica.db"):  # both at the current schema
        async with serve(
            container(settings(DB_TYPE="memory", DATABASES={"products_db": sqlite(name).model_dump()}))
        ):
            pass
    primary = SQLAdapter("products_db", sqlite("primary.db"))
    secondary = SQLAdapter("products_db replica 1", sqlite("replica.db"))
    replicated = ReplicatedAdapter(primary, [secondary], StatedPositions())
    # Configured as the availability group would be; its store is the two files instead.
    products_db = {"DB_TYPE": "sqlserver", "CONNECTION_STRING": PRIMARY_URL, "READ_REPLICAS": "sql-2:1433"}
    built = container(settings(DB_TYPE="memory", DATABASES={"products_db": products_db}))
    with built.databases.products_db.override(replicated):
        for adapter, lsn in ((primary, 100), (secondary, 100)):
            await adapter.connect()
            await state(adapter, lsn)
            await adapter.disconnect()
        async with serve(built) as client:
            yield client, replicated


async def test_reads_follow_the_stated_positions_and_a_secondary_without_one_is_out(
    stated: tuple[httpx.AsyncClient, ReplicatedAdapter], caplog: pytest.LogCaptureFixture
) -> None:
    client, replicated = stated
    primary, secondary = replicated.primary, replicated.replicas[0].adapter

    async def up() -> bool:
        return bool((await replica(client))["status"] == "up")

    await until(up, "the secondary in rotation")
    await state(primary, 200)  # the write below, as the primary will state it
    created = await client.post("/products", json={"sku": f"ag-{uuid4().hex[:8]}", "name": "N", "price": "1"})
    assert created.status_code == 201
    id, token = created.json()["id"], created.headers[TOKEN]
    assert consistency.decode(token) == {"products_db": "200"}

    # Behind the token (100 < 200): the primary answers; the secondary's file has no row.
    assert (await client.get(f"/products/{id}", headers={TOKEN: token})).status_code == 200
    assert (await untokened(client, f"/products/{id}")).status_code == 404  # the secondary
    # Once the secondary states it has redone that far, the token lets it answer.
    await state(secondary, 200)
    assert (await client.get(f"/products/{id}", headers={TOKEN: token})).status_code == 404

    # No row (not in an availability group, or not readable): out, with the reason logged.
    with caplog.at_level(logging.WARNING, logger="multidb.replicas"):
        await state(secondary, None)

        async def down() -> bool:
            return bool((await replica(client))["status"] == "down")

        await until(down, "the secondary out of rotation")
    assert any(
        "has no row for this database as a readable secondary" in r.getMessage() for r in caplog.records
    )
    assert (await untokened(client, f"/products/{id}")).status_code == 200  # the primary
    assert (await client.get(f"/products/{id}", headers={TOKEN: token})).status_code == 200

    # A primary with no row: a writer's token names the primary itself, and a warning says why.
    with caplog.at_level(logging.WARNING, logger="multidb.replicas"):
        await state(primary, None)
        patched = await client.patch(f"/products/{id}", json={"name": "M"})
        assert consistency.decode(patched.headers[TOKEN]) == {"products_db": "primary"}

        async def warned() -> bool:
            return any("as a primary" in record.getMessage() for record in caplog.records)

        await until(warned, "a warning that the primary states no position")


# With real servers. Nothing below runs on this machine: no SQL Server runs here.


@pytest.fixture
def availability_group(request: pytest.FixtureRequest) -> tuple[str, str]:
    secondary = os.environ.get("TEST_SQLSERVER_REPLICA_URL")
    if not secondary:
        pytest.skip(
            "needs an Always On availability group, and TEST_SQLSERVER_REPLICA_URL is not set: set "
            "TEST_SQLSERVER_URL to its primary (or listener) and TEST_SQLSERVER_REPLICA_URL to a readable "
            "secondary, both naming the same availability database"
        )
    primary: str = request.getfixturevalue("sqlserver_url")
    return primary, secondary


async def in_availability_group(adapter: SQLAdapter) -> bool:
    rows = await adapter.scalar(
        "SELECT COUNT(*) FROM sys.dm_hadr_database_replica_states"
        " WHERE database_id = DB_ID() AND is_local = 1"
    )
    return bool(rows)


async def test_a_database_outside_an_availability_group_states_no_position(
    sqlserver_url: str, caplog: pytest.LogCaptureFixture
) -> None:
    config = DatabaseConfig(
        DB_TYPE="sqlserver", CONNECTION_STRING=sqlserver_url, READ_REPLICAS=sqlserver_url, CONNECT_TIMEOUT=5
    )
    store = DatabaseAdapterFactory.create("products_db", config)
    assert isinstance(store, ReplicatedAdapter)
    with caplog.at_level(logging.WARNING, logger="multidb.replicas"):
        await store.connect()
    try:
        if await in_availability_group(store.primary):
            pytest.skip("TEST_SQLSERVER_URL's database is in an availability group")
        with pytest.raises(PositionUnknown, match="as a primary"):
            await store.replication.primary_position(store.primary)
        with pytest.raises(PositionUnknown, match="as a readable secondary"):
            await store.replication.replayed_position(store.replicas[0].adapter)
        assert store.replica_health()[0][1] == "down"
        logged = [record.getMessage() for record in caplog.records]
        assert any("no row for this database as a readable secondary" in line for line in logged)
        assert any("no row for this database as a primary" in line for line in logged)
    finally:
        await store.disconnect()


async def test_a_readable_secondary_serves_reads_and_a_client_its_own_writes(
    availability_group: tuple[str, str],
) -> None:
    primary_url, secondary_url = availability_group
    products_db = {
        "DB_TYPE": "sqlserver",
        "CONNECTION_STRING": primary_url,
        "READ_REPLICAS": secondary_url,
        "MAX_REPLICA_LAG_MS": 60_000,
        "REPLICA_CHECK_INTERVAL": 0.1,
        "CONNECT_TIMEOUT": 5,
    }
    built = container(settings(DB_TYPE="memory", DATABASES={"products_db": products_db}))
    async with serve(built) as client:
        store = built.databases.products_db()
        assert isinstance(store, ReplicatedAdapter)
        secondary = store.replicas[0].adapter
        # The secondary's connection is read-only: the availability group's, not a refused write.
        # (sql_variant, which pyodbc cannot read, cast to text)
        updateability = "SELECT CAST(DATABASEPROPERTYEX(DB_NAME(), 'Updateability') AS nvarchar(16))"
        assert await secondary.scalar(updateability) == "READ_ONLY"

        sku = f"ag-{uuid4().hex[:8]}"
        created = await client.post("/products", json={"sku": sku, "name": "N", "price": "1"})
        assert created.status_code == 201
        id, token = created.json()["id"], created.headers[TOKEN]
        wanted = consistency.decode(token)["products_db"]
        assert int(wanted) > 0  # the primary's last_commit_lsn
        assert (await client.get(f"/products/{id}", headers={TOKEN: token})).status_code == 200

        # What the token promises: a secondary that has redone that far has the write.
        async def redone() -> bool:
            return store.replication.reached(await store.replication.replayed_position(secondary), wanted)

        await until(redone, "the secondary past the write's last_commit_lsn")
        assert (await secondary.get(PRODUCTS, UUID(id)))["sku"] == sku

        async def caught_up() -> bool:
            state = await replica(client)
            read = await untokened(client, f"/products/{id}")
            return bool(state["status"] == "up" and state["lag_ms"] == 0 and read.status_code == 200)

        await until(caught_up, "the secondary in rotation, with the product")
