"""The baseline on MySQL/MariaDB: raw aiomysql through a pool.

    BENCH_MYSQL_HOST=127.0.0.1 BENCH_MYSQL_PORT=3306 BENCH_MYSQL_USER=root \
    BENCH_MYSQL_DB=multidb_bench BENCH_POOL_SIZE=10 uvicorn --factory bench.baseline.mysql:create_app
"""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID

import aiomysql
import pymysql
from fastapi import FastAPI

from bench.baseline.app import Conflict, Row, Store
from bench.baseline.app import create_app as create_baseline

COLUMNS = "id, sku, name, price, stock, created_at, updated_at"
WRITABLE = ("sku", "name", "price", "stock", "updated_at")
DUPLICATE_KEY = 1062


def stored(name: str, value: Any) -> Any:
    # The service keeps ids as 32 hex digits and UTC as naive DATETIME(3).
    if name == "id":
        return value.hex
    if name in ("created_at", "updated_at"):
        return value.replace(tzinfo=None)
    return value


def loaded(row: Row) -> Row:
    return {**row, "id": UUID(row["id"])}


class MySQLStore:
    def __init__(self, pool: Any) -> None:
        self._pool = pool

    async def _fetchone(self, sql: str, *args: Any) -> Row | None:
        async with self._pool.acquire() as connection, connection.cursor(aiomysql.DictCursor) as cursor:
            await cursor.execute(sql, args)
            row: Row | None = await cursor.fetchone()
        return None if row is None else loaded(row)

    async def get(self, id: UUID) -> Row | None:
        return await self._fetchone(f"SELECT {COLUMNS} FROM products WHERE id = %s", id.hex)

    async def page(self, limit: int, offset: int) -> tuple[list[Row], int]:
        async with self._pool.acquire() as connection, connection.cursor(aiomysql.DictCursor) as cursor:
            await cursor.execute(
                f"SELECT {COLUMNS} FROM products ORDER BY created_at, id LIMIT %s OFFSET %s", (limit, offset)
            )
            rows = await cursor.fetchall()
            await cursor.execute("SELECT count(*) AS total FROM products")
            total = (await cursor.fetchone())["total"]
        return [loaded(row) for row in rows], total

    async def insert(self, row: Row) -> None:
        names = COLUMNS.split(", ")
        values = [stored(name, row[name]) for name in names]
        try:
            async with self._pool.acquire() as connection, connection.cursor() as cursor:
                await cursor.execute(
                    f"INSERT INTO products ({COLUMNS}, version) VALUES ({', '.join(['%s'] * len(names))}, 1)",
                    values,
                )
        except pymysql.err.IntegrityError as error:
            if error.args[0] == DUPLICATE_KEY:
                raise Conflict from None
            raise

    async def update(self, id: UUID, changes: Row) -> Row | None:
        names = [name for name in WRITABLE if name in changes]
        assignments = ", ".join(f"{name} = %s" for name in names)
        values = [stored(name, changes[name]) for name in names]
        try:
            async with self._pool.acquire() as connection, connection.cursor(aiomysql.DictCursor) as cursor:
                await cursor.execute(
                    f"UPDATE products SET {assignments}, version = version + 1 WHERE id = %s",
                    (*values, id.hex),
                )
                await cursor.execute(f"SELECT {COLUMNS} FROM products WHERE id = %s", (id.hex,))
                row: Row | None = await cursor.fetchone()
        except pymysql.err.IntegrityError as error:
            if error.args[0] == DUPLICATE_KEY:
                raise Conflict from None
            raise
        return None if row is None else loaded(row)

    async def close(self) -> None:
        self._pool.close()
        await self._pool.wait_closed()


async def open_pool() -> Any:
    """An aiomysql pool of BENCH_POOL_SIZE connections to the database BENCH_MYSQL_* name."""
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    return await aiomysql.create_pool(
        host=os.environ["BENCH_MYSQL_HOST"],
        port=int(os.environ["BENCH_MYSQL_PORT"]),
        user=os.environ["BENCH_MYSQL_USER"],
        password=os.environ.get("BENCH_MYSQL_PASSWORD", ""),
        db=os.environ["BENCH_MYSQL_DB"],
        minsize=size,
        maxsize=size,
        autocommit=True,
        charset="utf8mb4",
    )


async def open_pooled() -> Store:
    return MySQLStore(await open_pool())


def create_app() -> FastAPI:
    return create_baseline(open_pooled)
