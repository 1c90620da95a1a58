"""Alembic, driven from code: one line of revisions per resource (its branch label is
the resource's name), applied on the connection of the database the resource lives
on, in one transaction where the database allows DDL in one. Imported only to change a
schema or to write one (migrations.py): a schema check reads revisions.py instead."""

from __future__ import annotations

import asyncio
import io
from collections.abc import Callable, Sequence

from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import URL, Connection, column, table
from sqlalchemy.ext.asyncio import AsyncEngine

from app.adapters.sql.revisions import SCRIPTS
from app.migrations.sql.filters import include_only
from app.models.resource import Resource
from app.models.table import metadata

# Alembic's `context` and `op` are module-wide proxies: two runs at once in one process
# (two databases migrated concurrently at startup) would overwrite each other's.
_ALEMBIC = asyncio.Lock()


def alembic_config(resources: Sequence[Resource]) -> Config:
    config = Config()
    config.set_main_option("script_location", str(SCRIPTS))
    config.attributes["tables"] = {resource.table.name for resource in resources}
    return config


async def upgrade(
    engine: AsyncEngine, resources: Sequence[Resource], targets: Sequence[str], forgotten: Sequence[str]
) -> None:
    """To each of `targets`, having first taken the revisions `forgotten` out of the
    record of what is applied (their tables were dropped: the upgrade creates them again)."""

    def work(config: Config) -> None:
        _forget(config.attributes["connection"], forgotten)
        for target in targets:
            command.upgrade(config, target)

    await _run(engine, resources, work)


async def downgrade(engine: AsyncEngine, resources: Sequence[Resource], targets: Sequence[str]) -> None:
    def work(config: Config) -> None:
        for target in targets:
            command.downgrade(config, target)

    await _run(engine, resources, work)


def history(resources: Sequence[Resource]) -> list[str]:
    scripts = ScriptDirectory(str(SCRIPTS))
    lines = []
    for resource in resources:
        for revision in scripts.iterate_revisions(f"{resource.name}@head", "base"):
            lines.append(f"{revision.revision}  {revision.doc}")
    return lines


def script(url: URL, resources: Sequence[Resource], heads: Sequence[str | None]) -> str:
    """The SQL of an upgrade from nothing to `heads` (one per resource, None: no revision)."""
    config = alembic_config(resources)
    config.output_buffer = io.StringIO()
    config.attributes["url"] = url.render_as_string(hide_password=True)
    applied: list[str] = []
    for resource, head in zip(resources, heads, strict=True):
        if head is None:
            continue
        # After the first line of revisions, start from its head: the version
        # table then exists, and the script adds a row for this resource's line.
        start = f"{applied[-1]}:" if applied else ""
        command.upgrade(config, f"{start}{resource.name}@head", sql=True)
        applied.append(head)
    return config.output_buffer.getvalue()


async def drift(engine: AsyncEngine, resources: Sequence[Resource]) -> list[str]:
    tables = {resource.table.name for resource in resources}

    def compare(connection: Connection) -> list[str]:
        context = MigrationContext.configure(
            connection, opts={"include_object": include_only(tables), "compare_type": True}
        )
        return [repr(difference) for difference in compare_metadata(context, metadata)]

    async with engine.connect() as connection:
        return await connection.run_sync(compare)


async def revision(engine: AsyncEngine, resource: Resource, message: str, revisions: Sequence[str]) -> str:
    """Write the revision after `revisions` (newest first) of `resource`'s line; its path."""
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

    await _run(engine, [resource], work)
    return written[0]


async def _run(engine: AsyncEngine, resources: Sequence[Resource], work: Callable[[Config], None]) -> None:
    def run(connection: Connection) -> None:
        config = alembic_config(resources)
        config.attributes["connection"] = connection
        work(config)

    async with _ALEMBIC, engine.begin() as connection:
        await connection.run_sync(run)


def _forget(connection: Connection, revisions: Sequence[str]) -> None:
    """Take these revisions out of Alembic's record of what is applied."""
    if not revisions:
        return
    context = MigrationContext.configure(connection)
    versions = table(context.version_table, column("version_num"), schema=context.version_table_schema)
    connection.execute(versions.delete().where(versions.c.version_num.in_(revisions)))
