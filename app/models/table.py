from __future__ import annotations

from sqlalchemy import Column, Index, MetaData, Table

from app.adapters.sql.types import UUID, UTCDateTime

metadata = MetaData()


def resource_table(name: str, *columns: Column[object]) -> Table:
    """A table with the columns every resource has: `id`, `created_at`, `updated_at`."""
    return Table(
        name,
        metadata,
        Column("id", UUID, primary_key=True),
        *columns,
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Index(f"ix_{name}_created_at_id", "created_at", "id"),
        mysql_charset="utf8mb4",
    )
