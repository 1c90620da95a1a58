"""Alembic's environment, run by app.adapters.sql.migrations: never with an alembic.ini.

Online, the caller lends its connection (and so its transaction); offline, it gives
the URL whose dialect the script is written for. `tables` limits autogenerate to the
tables of the resources that live on this database.
"""

from __future__ import annotations

from typing import Any

from alembic import context
from alembic.autogenerate import produce_migrations
from alembic.operations.ops import MigrationScript
from alembic.runtime.migration import MigrationContext
from sqlalchemy import JSON, String, Uuid

from app.migrations.sql.filters import include_only
from app.models import columns as sql
from app.models.table import metadata

config = context.config
tables: set[str] = config.attributes["tables"]


def compare(migration: MigrationContext, revision: Any, directives: list[MigrationScript]) -> None:
    """Fill a new revision with the differences between the models and this database,
    limited to `tables`."""
    found = produce_migrations(migration, metadata)
    assert found.upgrade_ops is not None
    assert found.downgrade_ops is not None
    directives[0].upgrade_ops = found.upgrade_ops
    directives[0].downgrade_ops = found.downgrade_ops


def render_item(type_: str, obj: Any, autogen: Any) -> str | bool:
    """Our portable column types as revisions write them by hand: `sql.Text(64)`, ..."""
    if type_ != "type":
        return False
    if isinstance(obj, sql.UTCDateTime | sql.Money):
        return f"sql.{type(obj).__name__}()"
    if isinstance(obj, Uuid) and obj._variant_mapping:
        return "sql.UUID"
    if isinstance(obj, String) and obj._variant_mapping:
        return f"sql.Text({obj.length})"
    if isinstance(obj, JSON) and obj._variant_mapping:
        return "sql.Json"
    return False


options: dict[str, Any] = {
    "target_metadata": metadata,
    "include_object": include_only(tables),
    "compare_type": True,
    "render_item": render_item,
}
if config.attributes.get("compare"):
    options["process_revision_directives"] = compare

if context.is_offline_mode():
    context.configure(url=config.attributes["url"], literal_binds=True, **options)
else:
    connection = config.attributes["connection"]
    context.configure(connection=connection, render_as_batch=connection.dialect.name == "sqlite", **options)

with context.begin_transaction():
    context.run_migrations()
