"""Versioned steps for MongoDB: collections, their indexes and JSON-schema validators,
one line of steps per resource (in app/migrations/mongodb, written with
app/migrations/mongodb_op.py), each step recorded in the database's `_migrations`
collection once applied."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import UTC, datetime

from app.adapters.migrations import Migrations, SchemaStatus
from app.adapters.mongodb.schema import write_step
from app.migrations.mongodb import STEPS
from app.migrations.mongodb_op import Database, Step
from app.models.resource import Resource

LEDGER = "_migrations"


class MongoMigrations(Migrations):
    """The steps of the resources in `database`; without one (not connected), only
    what needs no connection: the history."""

    def __init__(self, database: Database | None = None) -> None:
        self._database = database

    @property
    def database(self) -> Database:
        if self._database is None:
            raise RuntimeError("MongoDB is not connected; connect before migrating")
        return self._database

    @staticmethod
    def steps(resource: Resource) -> list[Step]:
        return STEPS.get(resource.name, [])

    async def status(self, resources: Sequence[Resource]) -> SchemaStatus:
        applied = await self._applied()
        current = {}
        for resource in resources:
            done = [step.id for step in self.steps(resource) if step.id in applied]
            current[resource.name] = done[-1] if done else None
        head = {r.name: (self.steps(r)[-1].id if self.steps(r) else None) for r in resources}
        unversioned = tuple(name for name, step in head.items() if step is None)
        missing = tuple([r.name for r in resources if head[r.name] and not await self._complete(r)])
        return SchemaStatus(current=current, head=head, unversioned=unversioned, missing=missing)

    async def upgrade(self, resources: Sequence[Resource], to: str | None = None) -> None:
        db = self.database
        # A collection dropped under steps that say it is there (or created again by a
        # write, without its validator and indexes): its steps run again.
        status = await self.status(resources)
        for resource in resources:
            if resource.name in status.missing and status.current[resource.name]:
                await db[LEDGER].delete_many({"resource": resource.name})
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
        db = self.database
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

    async def _complete(self, resource: Resource) -> bool:
        """Whether the resource's collection is there with a unique index on each of its
        unique fields: MongoDB answers a read of a dropped collection with nothing, and
        creates it again, bare, on the first write."""
        name = resource.table.name
        if name not in await self.database.list_collection_names(filter={"name": name}):
            return False
        indexes = (await self.database[name].index_information()).values()
        unique = {index["key"][0][0] for index in indexes if index.get("unique") and len(index["key"]) == 1}
        return set(resource.unique) <= unique

    async def _applied(self) -> set[str]:
        return {document["_id"] async for document in self.database[LEDGER].find({}, {"_id": 1})}
