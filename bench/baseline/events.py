"""The baseline of `GET /events?expand=user,product`, written by hand on three raw drivers:
the page of events (and its total) with asyncpg, then the page's distinct users with one
pymongo `$in` and its distinct products with one aiomysql `IN`, the two at once.

    BENCH_DSN=postgresql://postgres@127.0.0.1:5432/multidb_bench2 \
    BENCH_MONGODB_URL=mongodb://127.0.0.1:27017/multidb_bench2 BENCH_MONGODB_DB=multidb_bench2 \
    BENCH_MYSQL_HOST=127.0.0.1 BENCH_MYSQL_PORT=3306 BENCH_MYSQL_USER=root BENCH_MYSQL_DB=multidb_bench2 \
    BENCH_POOL_SIZE=10 uvicorn --factory bench.baseline.events:create_app
"""

from __future__ import annotations

import asyncio
import json
import os
from collections.abc import AsyncIterator, Collection
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

import aiomysql
import asyncpg
from fastapi import FastAPI, Query, Request, Response
from pymongo import AsyncMongoClient

from bench.baseline import mysql
from bench.baseline.app import Row, answer, iso, problem, product

EVENT_COLUMNS = "id, type, user_id, product_id, properties, occurred_at, created_at, updated_at"
RELATIONS = ("user", "product")


def event(row: Row) -> Row:
    return {
        "id": str(row["id"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "type": row["type"],
        "user_id": None if row["user_id"] is None else str(row["user_id"]),
        "product_id": None if row["product_id"] is None else str(row["product_id"]),
        "properties": json.loads(row["properties"]),  # asyncpg reads jsonb as its text
        "occurred_at": iso(row["occurred_at"]),
    }


def user(document: Row) -> Row:
    return {
        "id": str(document["_id"]),
        "created_at": iso(document["created_at"]),
        "updated_at": iso(document["updated_at"]),
        "email": document["email"],
        "name": document["name"],
    }


class Stores:
    """The three databases: events on PostgreSQL, users on MongoDB, products on MySQL/MariaDB."""

    def __init__(self, events: Any, users: AsyncMongoClient[dict[str, Any]], products: Any) -> None:
        self._events = events
        self._client = users
        self._users = users[os.environ["BENCH_MONGODB_DB"]]["users"]
        self._products = products

    async def page(self, limit: int, offset: int) -> tuple[list[Row], int]:
        async with self._events.acquire() as connection:
            rows = await connection.fetch(
                f"SELECT {EVENT_COLUMNS} FROM events ORDER BY created_at, id LIMIT $1 OFFSET $2",
                limit,
                offset,
            )
            total = await connection.fetchval("SELECT count(*) FROM events")
        return [dict(row) for row in rows], total

    async def users(self, ids: Collection[UUID]) -> dict[UUID, Row]:
        if not ids:
            return {}
        cursor = self._users.find({"_id": {"$in": list(ids)}}, limit=len(ids), batch_size=len(ids))
        return {document["_id"]: user(document) async for document in cursor}

    async def products(self, ids: Collection[UUID]) -> dict[UUID, Row]:
        if not ids:
            return {}
        marks = ", ".join(["%s"] * len(ids))
        async with (
            self._products.acquire() as connection,
            connection.cursor(aiomysql.DictCursor) as cursor,
        ):
            await cursor.execute(
                f"SELECT {mysql.COLUMNS} FROM products WHERE id IN ({marks})", [id.hex for id in ids]
            )
            rows = await cursor.fetchall()
        return {row["id"]: product(row) for row in map(mysql.loaded, rows)}

    async def close(self) -> None:
        await self._events.close()
        await self._client.close()
        self._products.close()
        await self._products.wait_closed()


async def open_stores() -> Stores:
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    events = await asyncpg.create_pool(os.environ["BENCH_DSN"], min_size=size, max_size=size)
    users: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ["BENCH_MONGODB_URL"], maxPoolSize=size, uuidRepresentation="standard", tz_aware=True
    )
    return Stores(events, users, await mysql.open_pool())


def create_app() -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.stores = await open_stores()
        try:
            yield
        finally:
            await app.state.stores.close()

    app = FastAPI(title="multidb baseline: events with users and products", lifespan=lifespan)

    @app.get("/health")
    async def health() -> Response:
        return answer({"status": "ok"})

    @app.get("/events")
    async def list_(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
        expand: str = "",
    ) -> Response:
        names = [name for name in expand.split(",") if name]
        unknown = sorted(set(names) - set(RELATIONS))
        if unknown:
            return problem(422, "Unprocessable Content", f"cannot expand {', '.join(unknown)}")
        stores: Stores = request.app.state.stores
        rows, total = await stores.page(limit, offset)
        items = [event(row) for row in rows]
        if names:
            users, products = await asyncio.gather(
                stores.users(_referred(rows, "user_id") if "user" in names else set()),
                stores.products(_referred(rows, "product_id") if "product" in names else set()),
            )
            for row, item in zip(rows, items, strict=True):
                if "user" in names:
                    item["user"] = users.get(row["user_id"]) if row["user_id"] is not None else None
                if "product" in names:
                    item["product"] = (
                        products.get(row["product_id"]) if row["product_id"] is not None else None
                    )
        return answer({"items": items, "total": total, "limit": limit, "offset": offset})

    return app


def _referred(rows: list[Row], field: str) -> set[UUID]:
    return {row[field] for row in rows if row[field] is not None}
