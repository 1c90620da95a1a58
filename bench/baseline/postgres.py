"""The baseline on PostgreSQL: raw asyncpg, through a pool, or connecting per request.

    BENCH_DSN=postgresql://postgres@127.0.0.1:5432/multidb_bench BENCH_POOL_SIZE=10 \
        uvicorn --factory bench.baseline.postgres:create_app
    BENCH_CONNECT_PER_REQUEST=1 ...   # the design note's sketch: a connection per request
"""

from __future__ import annotations

import os
from collections.abc import AsyncIterator, Callable
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from typing import Any
from uuid import UUID

import asyncpg
from fastapi import FastAPI

from bench.baseline.app import Conflict, Row, Store
from bench.baseline.app import create_app as create_baseline

COLUMNS = "id, sku, name, price, stock, created_at, updated_at"
WRITABLE = ("sku", "name", "price", "stock", "updated_at")

Acquire = Callable[[], AbstractAsyncContextManager[Any]]


class PostgresStore:
    def __init__(self, acquire: Acquire, close: Callable[[], Any]) -> None:
        self._acquire = acquire
        self._close = close

    async def get(self, id: UUID) -> Row | None:
        async with self._acquire() as connection:
            row = await connection.fetchrow(f"SELECT {COLUMNS} FROM products WHERE id = $1", id)
        return None if row is None else dict(row)

    async def page(self, limit: int, offset: int) -> tuple[list[Row], int]:
        async with self._acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {COLUMNS} FROM products ORDER BY created_at, id LIMIT $1 OFFSET $2", limit, offset
            )
            total = await connection.fetchval("SELECT count(*) FROM products")
        return [dict(row) for row in rows], total

    async def insert(self, row: Row) -> None:
        values = [row[name] for name in ("id", "sku", "name", "price", "stock")]
        stamps = [row["created_at"].replace(tzinfo=None), row["updated_at"].replace(tzinfo=None)]
        try:
            async with self._acquire() as connection:
                await connection.execute(
                    f"INSERT INTO products ({COLUMNS}, version) VALUES ($1, $2, $3, $4, $5, $6, $7, 1)",
                    *values,
                    *stamps,
                )
        except asyncpg.UniqueViolationError:
            raise Conflict from None

    async def update(self, id: UUID, changes: Row) -> Row | None:
        names = [name for name in WRITABLE if name in changes]
        values = [changes[name] for name in names]
        values[-1] = values[-1].replace(tzinfo=None)  # updated_at, always last
        assignments = ", ".join(f"{name} = ${number}" for number, name in enumerate(names, start=2))
        try:
            async with self._acquire() as connection:
                row = await connection.fetchrow(
                    f"UPDATE products SET {assignments}, version = version + 1 WHERE id = $1 "
                    f"RETURNING {COLUMNS}",
                    id,
                    *values,
                )
        except asyncpg.UniqueViolationError:
            raise Conflict from None
        return None if row is None else dict(row)

    async def close(self) -> None:
        await self._close()


async def open_pooled(dsn: str, size: int) -> Store:
    pool = await asyncpg.create_pool(dsn, min_size=size, max_size=size)
    return PostgresStore(pool.acquire, pool.close)


async def open_per_request(dsn: str) -> Store:
    @asynccontextmanager
    async def connect() -> AsyncIterator[Any]:
        connection = await asyncpg.connect(dsn)
        try:
            yield connection
        finally:
            await connection.close()

    async def nothing() -> None:
        pass

    return PostgresStore(connect, nothing)


def create_app() -> FastAPI:
    dsn = os.environ["BENCH_DSN"]
    if os.environ.get("BENCH_CONNECT_PER_REQUEST") == "1":
        return create_baseline(lambda: open_per_request(dsn))
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    return create_baseline(lambda: open_pooled(dsn, size))
