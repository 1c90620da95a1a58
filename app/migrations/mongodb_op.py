"""What a MongoDB migration step is and what it may do, like Alembic's `op`: the steps in
app/migrations/mongodb use it, the runner in app/adapters/mongodb/migrations.py runs them,
and it knows neither."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from typing import Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid

Database = AsyncDatabase[dict[str, Any]]


@dataclass(frozen=True)
class Step:
    id: str
    description: str
    up: Callable[[Database], Awaitable[None]]
    down: Callable[[Database], Awaitable[None]]


async def create_collection(
    db: Database, name: str, schema: dict[str, Any], unique: Sequence[str] = (), indexed: Sequence[str] = ()
) -> None:
    """A collection with a $jsonSchema validator, its unique and secondary indexes, and
    the (created_at, _id) index of the default sort. Safe to run again."""
    try:
        await db.create_collection(name, validator={"$jsonSchema": schema})
    except CollectionInvalid:  # already there: bring its validator up to date
        await db.command("collMod", name, validator={"$jsonSchema": schema})
    collection = db[name]
    for field in unique:
        await collection.create_index([(field, ASCENDING)], unique=True, name=f"uq_{name}_{field}")
    for field in indexed:
        await collection.create_index([(field, ASCENDING)], name=f"ix_{name}_{field}")
    await collection.create_index(
        [("created_at", ASCENDING), ("_id", ASCENDING)], name=f"ix_{name}_created_at_id"
    )


async def drop_collection(db: Database, name: str) -> None:
    await db.drop_collection(name)
