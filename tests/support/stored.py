"""What a database really holds, asked through its own driver, not through the service."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import AsyncIterator, Iterable
from contextlib import asynccontextmanager, closing
from uuid import UUID

import asyncpg
import pymysql
from pymongo import MongoClient
from sqlalchemy import make_url

from settings import DatabaseConfig
from tests.support.kinds import server_of


def _hex(ids: Iterable[str]) -> list[str]:
    return [UUID(id).hex for id in ids]


@asynccontextmanager
async def _postgres(url: str) -> AsyncIterator[asyncpg.Connection]:
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, password=parsed.password,
        database=parsed.database,
    )  # fmt: skip
    try:
        yield connection
    finally:
        await connection.close()


def _mysql(url: str) -> closing[pymysql.connections.Connection]:
    parsed = make_url(url)
    connection = pymysql.connect(
        host=parsed.host, port=parsed.port or 3306, user=parsed.username,
        password=parsed.password or "", database=parsed.database,
    )  # fmt: skip
    return closing(connection)


def _mongodb(url: str) -> closing[MongoClient[dict[str, object]]]:
    return closing(MongoClient(url, uuidRepresentation="standard"))


async def postgres_ids(url: str, table: str, ids: list[str]) -> set[str]:
    async with _postgres(url) as connection:
        if not await connection.fetchval("SELECT to_regclass($1)", table):
            return set()
        rows = await connection.fetch(
            f"SELECT id FROM {table} WHERE id = ANY($1::uuid[])", [UUID(i) for i in ids]
        )
        return {str(row["id"]) for row in rows}


def mysql_ids(url: str, table: str, ids: list[str]) -> set[str]:
    with _mysql(url) as connection, connection.cursor() as cursor:
        cursor.execute(
            "SELECT COUNT(*) FROM information_schema.TABLES WHERE TABLE_SCHEMA = DATABASE() "
            "AND TABLE_NAME = %s",
            (table,),
        )
        if cursor.fetchone()[0] == 0:
            return set()
        cursor.execute(f"SELECT id FROM {table} WHERE id IN %s", (_hex(ids),))
        return {str(UUID(row[0])) for row in cursor.fetchall()}


def sqlite_ids(path: str, table: str, ids: list[str]) -> set[str]:
    with closing(sqlite3.connect(path)) as connection:
        exists = connection.execute("SELECT 1 FROM sqlite_master WHERE name = ?", (table,)).fetchone()
        if not exists:
            return set()
        marks = ",".join("?" * len(ids))
        rows = connection.execute(f"SELECT id FROM {table} WHERE id IN ({marks})", _hex(ids)).fetchall()
        return {str(UUID(row[0])) for row in rows}


def mongodb_ids(url: str, database: str, collection: str, ids: list[str]) -> set[str]:
    with _mongodb(url) as client:
        found = client[database][collection].find({"_id": {"$in": [UUID(i) for i in ids]}}, {"_id": 1})
        return {str(document["_id"]) for document in found}


async def column_values(config: DatabaseConfig, table: str, column: str) -> list[object]:
    """Every value of `column` in `table`, as the database `config` reaches returns it
    (PostgreSQL, MySQL, SQLite and MongoDB)."""
    backend = server_of(config)
    url = config.CONNECTION_STRING.get_secret_value() if config.CONNECTION_STRING else str(config.DB_NAME)
    if backend == "sqlite":
        with closing(sqlite3.connect(url)) as connection:
            return [row[0] for row in connection.execute(f"SELECT {column} FROM {table}")]
    if backend == "postgres":
        async with _postgres(url) as connection:
            return [row[0] for row in await connection.fetch(f"SELECT {column} FROM {table}")]
    if backend == "mysql":
        with _mysql(url) as mysql, mysql.cursor() as cursor:
            cursor.execute(f"SELECT {column} FROM {table}")
            return [row[0] for row in cursor.fetchall()]
    assert backend == "mongodb", backend
    with _mongodb(url) as client:
        return [document.get(column) for document in client[str(config.DB_NAME)][table].find()]


async def product_stocks(
    backend: str, url: str, ids: list[UUID], database: str | None = None
) -> dict[UUID, int]:
    """The stock of each of these products that the database holds, by id."""
    if backend == "postgres":
        async with _postgres(url) as connection:
            rows = await connection.fetch("SELECT id, stock FROM products WHERE id = ANY($1::uuid[])", ids)
        return {row["id"]: int(row["stock"]) for row in rows}
    if backend == "mysql":
        with _mysql(url) as mysql, mysql.cursor() as cursor:
            cursor.execute("SELECT id, stock FROM products WHERE id IN %s", ([id.hex for id in ids],))
            return {UUID(row[0]): int(row[1]) for row in cursor.fetchall()}
    assert backend == "mongodb", backend
    with _mongodb(url) as client:
        found = client[str(database)]["products"].find({"_id": {"$in": ids}}, {"stock": 1})
        return {document["_id"]: int(document["stock"]) for document in found}  # type: ignore[misc, call-overload]


class JsonText(str):
    """A JSON column's value for `insert_as_another_tool`, as the text a tool writes."""


async def insert_as_another_tool(config: DatabaseConfig, table: str, row: dict[str, object]) -> bool:
    """Insert `row` through the database's own driver, as a tool other than the service
    would, with none of the service's checks: JSON columns as JsonText (a document's
    value on MongoDB), times naive UTC. False when the database itself refuses it."""
    backend = server_of(config)
    url = config.CONNECTION_STRING.get_secret_value() if config.CONNECTION_STRING else str(config.DB_NAME)
    if backend == "mongodb":
        with _mongodb(
            url
        ) as client:  # past the collection's validator, as a document from before it was added
            document = {"_id": row["id"], **{k: v for k, v in row.items() if k != "id"}}
            client[str(config.DB_NAME)][table].insert_one(document, bypass_document_validation=True)
        return True
    if backend == "postgres":
        fields = ", ".join(f"{json.dumps(k)}: {_json_text(v)}" for k, v in row.items())
        async with _postgres(url) as connection:
            try:  # PostgreSQL turns each field into its column's type
                await connection.execute(
                    f"INSERT INTO {table} ({', '.join(row)}) "
                    f"SELECT {', '.join(row)} FROM json_populate_record(NULL::{table}, $1::json)",
                    "{" + fields + "}",
                )
            except asyncpg.PostgresError:
                return False
        return True
    names, marks = ", ".join(row), ", ".join(["%s" if backend == "mysql" else "?"] * len(row))
    values = [value.hex if isinstance(value, UUID) else value for value in row.values()]
    if backend == "mysql":
        with _mysql(url) as mysql:
            try:
                with mysql.cursor() as cursor:
                    cursor.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
                mysql.commit()
            except pymysql.MySQLError:
                return False
        return True
    assert backend == "sqlite", backend
    with closing(sqlite3.connect(url)) as connection:
        connection.execute(f"INSERT INTO {table} ({names}) VALUES ({marks})", values)
        connection.commit()
    return True


def _json_text(value: object) -> str:
    if isinstance(value, JsonText):
        return str(value)
    return json.dumps(value if isinstance(value, int | None) else str(value))
