"""Versioned steps for MongoDB: collections, their indexes and JSON-schema validators,
one line of steps per resource (in app/migrations/mongodb), each step recorded in the
database's `_migrations` collection once applied."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any

from pymongo import ASCENDING
from pymongo.asynchronous.database import AsyncDatabase
from pymongo.errors import CollectionInvalid

from app.adapters.migrations import Migrations, SchemaStatus
from app.adapters.mongodb.schema import write_step
from app.models.resource import Resource

if TYPE_CHECKING:
    from app.adapters.mongodb.adapter import MongoAdapter

Database = AsyncDatabase[dict[str, Any]]
LEDGER = "_migrations"


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


class MongoMigrations(Migrations):
    def __init__(self, adapter: MongoAdapter) -> None:
        self.adapter = adapter

    @staticmethod
    def steps(resource: Resource) -> list[Step]:
        from app.migrations.mongodb import STEPS

        return STEPS.get(resource.name, [])

    async def status(self, resources: Sequence[Resource]) -> SchemaStatus:
        applied = await self._applied()
        current = {}
        for resource in resources:
            done = [step.id for step in self.steps(resource) if step.id in applied]
            current[resource.name] = done[-1] if done else None
        head = {r.name: (self.steps(r)[-1].id if self.steps(r) else None) for r in resources}
        unversioned = tuple(name for name, step in head.items() if step is None)
        return SchemaStatus(current=current, head=head, unversioned=unversioned)

    async def upgrade(self, resources: Sequence[Resource], to: str | None = None) -> None:
        db = self.adapter.database
        for resource in resources:
            steps = self.steps(resource)
            if to is not None and to not in {step.id for step in steps}:
                continue
            applied = await self._applied()
            for step in steps:
                if step.id not in applied:
                    await step.up(db)
                    await db[LEDGER].insert_one(
                        {"_id": step.id, "resource": resource.name, "applied_at": datetime.now(UTC)}
                    )
                if step.id == to:
                    break

    async def downgrade(self, resources: Sequence[Resource], to: str) -> None:
        db = self.adapter.database
        for resource in resources:
            steps = self.steps(resource)
            if to != "base" and to not in {step.id for step in steps}:
                continue
            applied = await self._applied()
            for step in reversed(steps):
                if step.id == to:
                    break
                if step.id in applied:
                    await step.down(db)
                    await db[LEDGER].delete_one({"_id": step.id})

    def history(self, resources: Sequence[Resource]) -> list[str]:
        return [f"{step.id}  {step.description}" for r in resources for step in reversed(self.steps(r))]

    async def revision(self, resource: Resource, message: str) -> str:
        """The resource's first step, from its table; a later one is written by hand."""
        path = write_step(resource, message)
        if path is None:
            raise NotImplementedError(
                f"{resource.name} has MongoDB steps already: write the next one by hand, beside them"
            )
        return str(path)

    async def _applied(self) -> set[str]:
        return {document["_id"] async for document in self.adapter.database[LEDGER].find({}, {"_id": 1})}
