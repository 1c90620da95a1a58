"""Schema migrations on real servers: from nothing to head and back with the CLI, no
drift between the migrated schema and the models, MongoDB's steps, SQL Server's
offline script, and what the service does with a schema behind head."""

from __future__ import annotations

import asyncio
import os
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import MongoClient
from pymongo.errors import WriteError
from sqlalchemy import create_engine, inspect, make_url, text

from app.models import PRODUCTS
from tests.support import backends, served
from tests.support.service import container, serve, settings

RESOURCES = served.resources()
SQL_BACKENDS = ["sqlite", "postgres", "mysql"]


@pytest.fixture
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[dict[str, str]]:
    """The primary's variables for an empty database of the parametrized backend."""
    backend: str = request.param
    if backend == "sqlite":
        yield {"DB_TYPE": "sqlite", "DB_NAME": str(tmp_path / "fresh.db")}
        return
    if backend == "mongodb":
        url = request.getfixturevalue("mongodb_url")
        client: MongoClient[dict[str, Any]]
        with MongoClient(url) as client:
            client.drop_database("multidb_migrations")
        yield {"DB_TYPE": "mongodb", "DB_CONNECTION_STRING": url, "DB_NAME": "multidb_migrations"}
        return
    url = backends.sibling(request.getfixturevalue(f"{backend}_url"), "migrations")
    recreate = {"postgres": backends.recreate_postgres_database, "mysql": backends.recreate_mysql_database}
    backends.run(recreate[backend](url))
    yield {"DB_TYPE": backend, "DB_CONNECTION_STRING": url}


async def db(variables: dict[str, str], *args: str, cwd: Path | None = None) -> tuple[int, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASES"))}
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "db",
        *args,
        env={**env, **variables},
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.STDOUT,
    )
    output, _ = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, output.decode()


def sync_url(variables: dict[str, str]) -> str:
    if variables["DB_TYPE"] == "sqlite":
        return f"sqlite:///{variables['DB_NAME']}"
    url = make_url(variables["DB_CONNECTION_STRING"])
    return url.set(
        drivername={"postgres": "postgresql+psycopg", "mysql": "mysql+pymysql"}[variables["DB_TYPE"]]
    ).render_as_string(hide_password=False)


def sql_tables(variables: dict[str, str]) -> dict[str, list[str]]:
    """Each table and, for alembic_version, the revisions recorded in it."""
    engine = create_engine(sync_url(variables))
    try:
        with engine.connect() as connection:
            names = inspect(connection).get_table_names()
            versions = []
            if "alembic_version" in names:
                versions = sorted(
                    r[0] for r in connection.execute(text("SELECT version_num FROM alembic_version"))
                )
        return {name: versions if name == "alembic_version" else [] for name in names}
    finally:
        engine.dispose()


@pytest.mark.parametrize("fresh", SQL_BACKENDS, indirect=True)
async def test_upgrade_from_nothing_then_downgrade_to_base(fresh: dict[str, str]) -> None:
    code, output = await db(fresh, "upgrade")
    assert code == 0, output

    tables = sql_tables(fresh)
    assert set(tables) == {"alembic_version", *(resource.table.name for resource in RESOURCES)}
    assert tables["alembic_version"] == [f"{resource.name}_0001" for resource in RESOURCES]
    code, output = await db(fresh, "check")
    assert code == 0, output  # no drift: autogenerate would write nothing
    assert "the schema matches the models" in output

    code, output = await db(fresh, "upgrade")  # again: nothing to do, nothing doubled
    assert code == 0, output
    code, output = await db(fresh, "downgrade", "base")
    assert code == 0, output
    assert sql_tables(fresh) == {"alembic_version": []}


@pytest.mark.parametrize("fresh", SQL_BACKENDS, indirect=True)
async def test_check_fails_when_the_schema_drifts(fresh: dict[str, str]) -> None:
    await db(fresh, "upgrade")
    engine = create_engine(sync_url(fresh))
    with engine.begin() as connection:
        connection.execute(text("ALTER TABLE products ADD COLUMN colour VARCHAR(20)"))
    engine.dispose()

    code, output = await db(fresh, "check")

    assert code == 1
    assert "colour" in output


@pytest.mark.parametrize("fresh", ["mongodb"], indirect=True)
async def test_mongodb_steps_create_validated_indexed_collections_and_go_back(fresh: dict[str, str]) -> None:
    code, output = await db(fresh, "upgrade")
    assert code == 0, output
    client: MongoClient[dict[str, Any]] = MongoClient(fresh["DB_CONNECTION_STRING"])
    database = client["multidb_migrations"]
    try:
        collections = {resource.table.name for resource in RESOURCES}
        assert {*collections, "_migrations"} <= set(database.list_collection_names())
        assert sorted(d["_id"] for d in database["_migrations"].find()) == [
            f"{resource.name}_0001" for resource in RESOURCES
        ]
        assert "uq_users_email" in database["users"].index_information()
        assert database["users"].index_information()["uq_users_email"]["unique"]
        assert "ix_events_user_id" in database["events"].index_information()
        options = database.command("listCollections", filter={"name": "products"})["cursor"]["firstBatch"][0][
            "options"
        ]
        assert "price" in options["validator"]["$jsonSchema"]["required"]
        with pytest.raises(WriteError, match=r"(?i)validation"):
            database["users"].insert_one({"email": 42})

        code, output = await db(fresh, "downgrade", "base")
        assert code == 0, output
        assert set(database.list_collection_names()) <= {"_migrations"}
        assert database["_migrations"].count_documents({}) == 0
    finally:
        client.close()


async def test_the_offline_sql_server_script_is_ready_for_review() -> None:
    variables = {
        "DB_TYPE": "sqlserver",
        "DB_HOST": "db.example",
        "DB_USER": "sa",
        "DB_PASSWORD": "S3cret!pw",
        "DB_NAME": "shop",
    }

    code, script = await db(variables, "upgrade", "--sql")

    assert code == 0, script
    assert "S3cret!pw" not in script
    assert "CREATE TABLE alembic_version" in script
    assert script.count("CREATE TABLE alembic_version") == 1
    for line in [
        "id CHAR(32) NOT NULL",  # UUIDv7 as hex: uniqueidentifier would sort by its last bytes
        "email NVARCHAR(320) COLLATE Latin1_General_100_BIN2 NOT NULL",
        "price NUMERIC(12, 2) NOT NULL",
        "created_at DATETIME2(3) NOT NULL",
        "CONSTRAINT uq_users_email UNIQUE (email)",
        "CREATE INDEX ix_events_user_id ON events (user_id)",
        "CREATE INDEX ix_products_created_at_id ON products (created_at, id)",
        "INSERT INTO alembic_version (version_num) OUTPUT inserted.version_num VALUES ('events_0001')",
    ]:
        assert line in script, line
    assert "IDENTITY" not in script  # ids come from the service, not the database


@pytest.mark.parametrize("fresh", ["postgres"], indirect=True)
async def test_a_server_schema_behind_head_is_reported_and_served_once_upgraded(
    fresh: dict[str, str],
) -> None:
    products_db = {"DB_TYPE": "postgres", "CONNECTION_STRING": fresh["DB_CONNECTION_STRING"]}
    config = settings(DB_TYPE="memory", AUTO_MIGRATE=None, DATABASES={"products_db": products_db})
    built = container(config)

    async with serve(built) as client:
        health = await client.get("/health")
        assert health.status_code == 200  # behind, yet ready: it serves what it can
        assert health.json()["databases"]["products_db"]["status"] == "schema_behind"
        behind = await client.get("/products")
        assert behind.status_code == 503
        assert "db upgrade" in behind.json()["detail"]
        assert (await client.post("/users", json={"email": "s@example.com", "name": "S"})).status_code == 201

        await built.databases.products_db().migrations.upgrade([PRODUCTS])  # what `db upgrade` does
        built.databases.products_db()._schema_checked_at = 0.0  # as if the re-check interval passed
        assert (await client.get("/products")).status_code == 200
        assert (await client.get("/health")).json()["databases"]["products_db"]["status"] == "up"


@pytest.mark.parametrize("fresh", ["postgres"], indirect=True)
async def test_two_names_of_one_database_get_each_table_once(fresh: dict[str, str]) -> None:
    same = {"DB_TYPE": "postgres", "CONNECTION_STRING": fresh["DB_CONNECTION_STRING"]}
    config = settings(DB_TYPE="memory", DATABASES={"users_db": same, "products_db": same})

    async with serve(container(config)) as client:
        assert (
            await client.post("/users", json={"email": "one@example.com", "name": "One"})
        ).status_code == 201
        assert (await client.get("/products")).status_code == 200

    tables = sql_tables(fresh)
    assert set(tables) == {"alembic_version", "users", "products"}
    assert tables["alembic_version"] == ["products_0001", "users_0001"]


async def test_a_sharded_or_tenant_selected_name_upgrades_each_of_its_databases(tmp_path: Path) -> None:
    files = {
        name: tmp_path / f"{name}.db" for name in ("events_0", "events_1", "acme_db", "globex_db", "other")
    }
    variables = {
        "DB_TYPE": "sqlite",
        "DB_NAME": str(tmp_path / "primary.db"),
        **{f"DATABASES__{name}__DB_TYPE": "sqlite" for name in files},
        **{f"DATABASES__{name}__DB_NAME": str(path) for name, path in files.items()},
        "SHARDS__analytics_db": "events_0,events_1",
        "TENANTS__acme": "acme_db",
        "TENANTS__globex": "globex_db",
        "TENANT_SELECTED": "users_db",
    }

    sharded, shards_said = await db(variables, "upgrade", "--database", "analytics_db")
    tenants, tenants_said = await db(variables, "upgrade", "--database", "users_db")

    assert (sharded, tenants) == (0, 0), shards_said + tenants_said
    assert "events_0 (in analytics_db)" in shards_said
    for name in ("events_0", "events_1"):
        assert set(sql_tables({"DB_TYPE": "sqlite", "DB_NAME": str(files[name])})) == {
            "alembic_version",
            "events",
        }
    for name in ("acme_db", "globex_db"):
        assert set(sql_tables({"DB_TYPE": "sqlite", "DB_NAME": str(files[name])})) == {
            "alembic_version",
            "users",
        }
    assert (
        not files["other"].exists() or sql_tables({"DB_TYPE": "sqlite", "DB_NAME": str(files["other"])}) == {}
    )
