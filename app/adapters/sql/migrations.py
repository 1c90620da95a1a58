"""Alembic, driven from code: one line of revisions per resource (its branch label is
the resource's name), applied on the connection of the database the resource lives
on, in one transaction where the database allows DDL in one."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence
from pathlib import Path

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from alembic.util import CommandError
from sqlalchemy import URL, Connection, Table, column, inspect, table
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.migrations import Migrations, SchemaStatus
from app.migrations.sql.filters import include_only
from app.models.resource import Resource
from app.models.table import metadata

SCRIPTS = Path(__file__).parents[2] / "migrations" / "sql"

# Alembic's `context` and `op` are module-wide proxies: two runs at once in one process
# (two databases migrated concurrently at startup) would overwrite each other's.
_ALEMBIC = asyncio.Lock()


def alembic_config(resources: Sequence[Resource]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["tables"] = {resource.table.name for resource in resources}
    return config


class SQLMigrations(Migrations):
    """The revisions of the database at `url`, applied through `engine`; without an
    engine (not connected), only what needs no connection: history and the script."""

    def __init__(self, url: URL, engine: AsyncEngine | None = None) -> None:
        self.url = url
        self._engine = engine
        self.scripts = ScriptDirectory(str(SCRIPTS))

    @property
    def engine(self) -> AsyncEngine:
        if self._engine is None:
            raise RuntimeError(f"{self.url.render_as_string()} is not connected; connect before migrating")
        return self._engine

    def head(self, resource: Resource) -> str | None:
        try:
            revision = self.scripts.get_revision(f"{resource.name}@head")
        except CommandError:  # no revision for this resource yet
            return None
        return revision.revision if revision is not None else None

    def revisions(self, resource: Resource) -> list[str]:
        """The resource's revisions, newest first."""
        if self.head(resource) is None:
            return []
        return [r.revision for r in self.scripts.iterate_revisions(f"{resource.name}@head", "base")]

    async def status(self, resources: Sequence[Resource]) -> SchemaStatus:
        async with self.engine.connect() as connection:
            applied = set(await connection.run_sync(_current_heads))
            present = await connection.run_sync(_present, [r.table for r in resources])
        current = {
            r.name: next((rev for rev in self.revisions(r) if rev in applied), None) for r in resources
        }
        head = {r.name: self.head(r) for r in resources}
        unversioned = tuple(name for name, revision in head.items() if revision is None)
        missing = tuple(r.name for r in resources if head[r.name] and r.table.name not in present)
        return SchemaStatus(current=current, head=head, unversioned=unversioned, missing=missing)

    async def upgrade(self, resources: Sequence[Resource], to: str | None = None) -> None:
        targets = [to] if to else [f"{r.name}@head" for r in resources if self.head(r)]
        # A table dropped under a revision that says it is there: that revision is
        # forgotten, so that the upgrade creates the table again.
        status = await self.status(resources)
        dropped = [r for r in resources if r.name in status.missing and status.current[r.name]]

        def work(config: Config) -> None:
            connection = config.attributes["connection"]
            for resource in dropped:
                _forget(connection, self.revisions(resource))
            for target in targets:
                command.upgrade(config, target)

        await self._run(resources, work)

    async def downgrade(self, resources: Sequence[Resource], to: str) -> None:
        targets = [to]
        if to == "base":
            status = await self.status(resources)
            targets = [f"{r.name}@base" for r in resources if status.current[r.name]]

        def work(config: Config) -> None:
            for target in targets:
                command.downgrade(config, target)

        await self._run(resources, work)

    def history(self, resources: Sequence[Resource]) -> list[str]:
        lines = []
        for resource in resources:
            for revision in self.scripts.iterate_revisions(f"{resource.name}@head", "base"):
                lines.append(f"{revision.revision}  {revision.doc}")
        return lines

    def script(self, resources: Sequence[Resource]) -> str:
        config = alembic_config(resources)
        config.output_buffer = io.StringIO()
        config.attributes["url"] = self.url.render_as_string(hide_password=True)
        applied: list[str] = []
        for resource in resources:
            head = self.head(resource)
            if head is None:
                continue
            # After the first line of revisions, start from its head: the version
            # table then exists, and the script adds a row for this resource's line.
            start = f"{applied[-1]}:" if applied else ""
            command.upgrade(config, f"{start}{resource.name}@head", sql=True)
            applied.append(head)
        return config.output_buffer.getvalue()

    async def drift(self, resources: Sequence[Resource]) -> list[str]:
        """What differs between these resources' models and the database's schema: what
        autogenerate would write into a new revision. Empty when they agree."""
        tables = {resource.table.name for resource in resources}

        def compare(connection: Connection) -> list[str]:
            context = MigrationContext.configure(
                connection, opts={"include_object": include_only(tables), "compare_type": True}
            )
            return [repr(difference) for difference in compare_metadata(context, metadata)]

        async with self.engine.connect() as connection:
            return await connection.run_sync(compare)

    async def revision(self, resource: Resource, message: str) -> str:
        """Write the next revision of `resource`'s line, with what autogenerate finds
        between its models and this database; the path of the new file."""
        revisions = self.revisions(resource)
        number = len(revisions) + 1
        head, label = (f"{resource.name}@head", None) if revisions else ("base", resource.name)
        written: list[str] = []

        def work(config: Config) -> None:
            # Alembic's own autogenerate insists that the database be at every head of
            # the scripts, all resources' lines included; env.py compares this
            # resource's tables instead (see `compare` there).
            config.set_main_option("revision_environment", "true")
            config.attributes["compare"] = True
            script = command.revision(
                config,
                message=message,
                head=head,
                branch_label=label,
                rev_id=f"{resource.name}_{number:04d}",
            )
            scripts = script if isinstance(script, list) else [script]
            written.extend(s.path for s in scripts if s is not None)

        await self._run([resource], work)
        return written[0]

    async def _run(self, resources: Sequence[Resource], work: Callable[[Config], None]) -> None:
        def run(connection: Connection) -> None:
            config = alembic_config(resources)
            config.attributes["connection"] = connection
            work(config)

        async with _ALEMBIC, self.engine.begin() as connection:
            await connection.run_sync(run)


def _current_heads(connection: Connection) -> tuple[str, ...]:
    return MigrationContext.configure(connection).get_current_heads()


def _present(connection: Connection, tables: list[Table]) -> set[str]:
    inspector = inspect(connection)
    return {t.name for t in tables if inspector.has_table(t.name, schema=t.schema)}


def _forget(connection: Connection, revisions: list[str]) -> None:
    """Take these revisions out of Alembic's record of what is applied."""
    context = MigrationContext.configure(connection)
    versions = table(context.version_table, column("version_num"), schema=context.version_table_schema)
    connection.execute(versions.delete().where(versions.c.version_num.in_(revisions)))
