from __future__ import annotations

from sqlalchemy import BigInteger, Column, Index, MetaData, Table

from app.models import columns as sql

# Named constraints and indexes, so that migrations can refer to them by the same
# name on every database (PostgreSQL and MySQL would otherwise each invent one).
metadata = MetaData(
    naming_convention={
        "ix": "ix_%(table_name)s_%(column_0_name)s",
        "uq": "uq_%(table_name)s_%(column_0_name)s",
        "pk": "pk_%(table_name)s",
    }
)


def resource_table(name: str, *columns: Column[object]) -> Table:
    """A table with the columns every resource has: `id`, `created_at`, `updated_at`,
    and `version`, which every update increments (it is the ETag)."""
    return Table(
        name,
        metadata,
        Column("id", sql.UUID, primary_key=True),
        *columns,
        Column("created_at", sql.UTCDateTime, nullable=False),
        Column("updated_at", sql.UTCDateTime, nullable=False),
        Column("version", BigInteger, nullable=False),
        Index(f"ix_{name}_created_at_id", "created_at", "id"),
        mysql_charset="utf8mb4",
    )
