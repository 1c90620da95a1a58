"""`db revision --autogenerate` writes a resource's first MongoDB step from its table and
model, so a field's facts (its type, maximum length, whether it may be null) are written
once; the step builds a validated, indexed collection on a real MongoDB server."""

from __future__ import annotations

import importlib.util
from decimal import Decimal
from pathlib import Path
from types import ModuleType
from typing import Any
from uuid import uuid4

import pytest
from bson.decimal128 import Decimal128
from pymongo import AsyncMongoClient
from pymongo.errors import DuplicateKeyError, WriteError

from app.adapters.mongodb.schema import json_schema, write_step
from app.migrations.mongodb import events, users
from app.models import EVENTS, USERS
from app.models.types import now
from tests.support.orders import orders


def test_the_schema_from_the_table_is_the_one_the_steps_hold() -> None:
    assert json_schema(USERS) == users.SCHEMA
    assert json_schema(EVENTS) == events.SCHEMA


def load(path: Path) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"written_{path.stem}", path)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


async def test_a_written_step_builds_the_collection_and_takes_it_back(
    mongodb_url: str, tmp_path: Path
) -> None:
    with orders() as resource:
        path = write_step(resource, "Create orders.", tmp_path)
        assert path is not None
        assert write_step(resource, "again", tmp_path) is None  # a later step is written by hand
        (step,) = load(path).STEPS
    client: AsyncMongoClient[dict[str, Any]] = AsyncMongoClient(mongodb_url, uuidRepresentation="standard")
    database = client["multidb_written_steps"]
    try:
        await client.drop_database("multidb_written_steps")
        assert step.id == "orders_0001"
        await step.up(database)

        def order(number: str) -> dict[str, Any]:
            stamp = now()
            total = Decimal128(Decimal("1.50"))
            return {
                "_id": uuid4(),
                "number": number,
                "total": total,
                "created_at": stamp,
                "updated_at": stamp,
            }

        await database["orders"].insert_one({**order("A-1"), "version": 1})
        with pytest.raises(DuplicateKeyError):
            await database["orders"].insert_one({**order("A-1"), "version": 1})
        with pytest.raises(WriteError, match="validation"):
            await database["orders"].insert_one({**order("x" * 33), "version": 1})  # over Text(32)
        with pytest.raises(WriteError, match="validation"):
            await database["orders"].insert_one(order("B-2"))  # no version: it is required

        await step.down(database)
        assert "orders" not in await database.list_collection_names()
    finally:
        await client.drop_database("multidb_written_steps")
        await client.close()
