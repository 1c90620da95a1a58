"""The schema of a SQL database: one line of revisions per resource, applied on the
connection of the database the resource lives on. Its status is read without Alembic
(revisions.py); Alembic itself is imported, as a driver is, only when a schema is
changed or written (alembic_run.py)."""

from __future__ import annotations

from collections.abc import Sequence

from sqlalchemy import URL, Connection, Table, inspect
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.migrations import Migrations, SchemaStatus
from app.adapters.sql.revisions import RevisionLines, applied
from app.models.resource import Resource


class SQLMigrations(Migrations):
    """The revisions of the database at `url`, applied through `engine`; without an
    engine (not connected), only what needs no connection: history and the script."""

    def __init__(self, url: URL, engine: AsyncEngine | None = None) -> None:
        self.url = url
        self._engine = engine
        self.lines = RevisionLines()

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError(f"{self.url.render_as_string()} is not connected; connect before migrating")
        return self._engine

    def head(self, resource: Resource) -> str | None:
        return next(iter(self.revisions(resource)), None)

    def revisions(self, resource: Resource) -> list[str]:
        """The resource's revisions, newest first."""
        return self.lines.line(resource.name)

    async def status(self, resources: Sequence[Resource]) -> SchemaStatus:
        async with self.engine.connect() as connection:
            done, present = await connection.run_sync(_applied_and_present, [r.table for r in resources])
        current = {r.name: next((rev for rev in self.revisions(r) if rev in done), None) for r in resources}
        head = {r.name: self.head(r) for r in resources}
        unversioned = tuple(name for name, revision in head.items() if revision is None)
        missing = tuple(r.name for r in resources if head[r.name] and r.table.name not in present)
        return SchemaStatus(current=current, head=head, unversioned=unversioned, missing=missing)

    async def upgrade(self, resources: Sequence[Resource], to: str | None = None) -> None:
        from app.adapters.sql import alembic_run

        targets = [to] if to else [f"{r.name}@head" for r in resources if self.head(r)]
        # A table dropped under a revision that says it is there: that revision is
        # forgotten, so that the upgrade creates the table again.
        status = await self.status(resources)
        dropped = [r for r in resources if r.name in status.missing and status.current[r.name]]
        forgotten = [revision for r in dropped for revision in self.revisions(r)]
        await alembic_run.upgrade(self.engine, resources, targets, forgotten)

    async def downgrade(self, resources: Sequence[Resource], to: str) -> None:
        from app.adapters.sql import alembic_run

        targets = [to]
        if to == "base":
            status = await self.status(resources)
            targets = [f"{r.name}@base" for r in resources if status.current[r.name]]
        await alembic_run.downgrade(self.engine, resources, targets)

    def history(self, resources: Sequence[Resource]) -> list[str]:
        from app.adapters.sql import alembic_run

        return alembic_run.history(resources)

    def script(self, resources: Sequence[Resource]) -> str:
        from app.adapters.sql import alembic_run

        return alembic_run.script(self.url, resources, [self.head(r) for r in resources])

    async def drift(self, resources: Sequence[Resource]) -> list[str]:
        """What differs between these resources' models and the database's schema: what
        autogenerate would write into a new revision. Empty when they agree."""
        from app.adapters.sql import alembic_run

        return await alembic_run.drift(self.engine, resources)

    async def revision(self, resource: Resource, message: str) -> str:
        """Write the next revision of `resource`'s line, with what autogenerate finds
        between its models and this database; the path of the new file."""
        from app.adapters.sql import alembic_run

        return await alembic_run.revision(self.engine, resource, message, self.revisions(resource))


def _applied_and_present(connection: Connection, tables: list[Table]) -> tuple[set[str], set[str]]:
    """The revisions the database records as applied, and which of `tables` it has."""
    inspector = inspect(connection)
    present = {t.name for t in tables if inspector.has_table(t.name, schema=t.schema)}
    return applied(connection), present
