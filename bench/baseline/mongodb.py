"""The baseline on MongoDB: raw pymongo.AsyncMongoClient, its own pool.

    BENCH_MONGODB_URL=mongodb://127.0.0.1:27017/ BENCH_MONGODB_DB=multidb_bench BENCH_POOL_SIZE=10 \
        uvicorn --factory bench.baseline.mongodb:create_app
"""

from __future__ import annotations

import os
from typing import Any
from uuid import UUID

from bson.decimal128 import Decimal128
from fastapi import FastAPI
from pymongo import ASCENDING, AsyncMongoClient, ReturnDocument
from pymongo.errors import DuplicateKeyError

from bench.baseline.app import Conflict, Row, Store
from bench.baseline.app import create_app as create_baseline

ORDER = [("created_at", ASCENDING), ("_id", ASCENDING)]


def with_decimal128(values: Row) -> Row:
    return {**values, "price": Decimal128(values["price"])} if "price" in values else values


def document_of(row: Row) -> dict[str, Any]:
    return {"_id": row["id"], **with_decimal128({name: value for name, value in row.items() if name != "id"})}


def loaded(document: dict[str, Any]) -> Row:
    return {**document, "id": document["_id"], "price": document["price"].to_decimal()}


class MongoStore:
    def __init__(self, client: AsyncMongoClient[dict[str, Any]], database: str) -> None:
        self._client = client
        self._products = client[database]["products"]

    async def get(self, id: UUID) -> Row | None:
        document = await self._products.find_one({"_id": id})
        return None if document is None else loaded(document)

    async def page(self, limit: int, offset: int) -> tuple[list[Row], int]:
        cursor = self._products.find({}, sort=ORDER, skip=offset, limit=limit)
        rows = [loaded(document) async for document in cursor]
        return rows, await self._products.count_documents({})

    async def insert(self, row: Row) -> None:
        try:
            await self._products.insert_one({**document_of(row), "version": 1})
        except DuplicateKeyError:
            raise Conflict from None

    async def update(self, id: UUID, changes: Row) -> Row | None:
        try:
            document = await self._products.find_one_and_update(
                {"_id": id},
                {"$set": with_decimal128(changes), "$inc": {"version": 1}},
                return_document=ReturnDocument.AFTER,
            )
        except DuplicateKeyError:
            raise Conflict from None
        return None if document is None else loaded(document)

    async def close(self) -> None:
        await self._client.close()


async def open_client() -> Store:
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(
        os.environ["BENCH_MONGODB_URL"],
        maxPoolSize=int(os.environ.get("BENCH_POOL_SIZE", "10")),
        uuidRepresentation="standard",
        tz_aware=True,
    )
    return MongoStore(client, os.environ["BENCH_MONGODB_DB"])


def create_app() -> FastAPI:
    return create_baseline(open_client)
