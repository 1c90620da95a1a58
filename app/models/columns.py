"""Column types that give every SQL backend the same contract: strings compared by code
point, UTC timestamps kept to the millisecond, exact money, and UUIDs in creation order."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from pkgutil import resolve_name
from typing import Any

from sqlalchemy import JSON, NVARCHAR, BigInteger, DateTime, Dialect, Numeric, String, TypeDecorator, Uuid
from sqlalchemy.dialects import postgresql
from sqlalchemy.types import TypeEngine

from app.models.types import CENT

# Each dialect's timestamp to the millisecond, with its options: a dialect's module is
# imported with the dialect, never by the models alone (MySQL's and SQL Server's are
# 2 MiB of a process that speaks neither; bench/README.md, "Issue 11: memory").
PRECISE_TIMESTAMPS: dict[str, tuple[str, dict[str, int]]] = {
    "postgresql": ("sqlalchemy.dialects.postgresql:TIMESTAMP", {"precision": 3}),
    "mysql": ("sqlalchemy.dialects.mysql:DATETIME", {"fsp": 3}),
    "mariadb": ("sqlalchemy.dialects.mysql:DATETIME", {"fsp": 3}),
    "mssql": ("sqlalchemy.dialects.mssql:DATETIME2", {"precision": 3}),
}


def Text(length: int) -> TypeEngine[str]:  # noqa: N802 - reads like the other column types
    """A string of at most `length` characters, with a binary collation wherever the
    database would otherwise fold case or sort by locale."""
    return (
        String(length)
        .with_variant(String(length, collation="C"), "postgresql")
        .with_variant(String(length, collation="utf8mb4_bin"), "mysql", "mariadb")
        .with_variant(NVARCHAR(length, collation="Latin1_General_100_BIN2"), "mssql")
    )


# SQL Server's uniqueidentifier sorts by its last six bytes first, and MariaDB's UUID
# type reorders the bytes of some versions; the 32-digit hex form sorts like the
# UUID's bytes everywhere, so sorting by an id is the same on every backend.
UUID: TypeEngine[Any] = Uuid().with_variant(Uuid(native_uuid=False), "mssql", "mysql", "mariadb")

Json: TypeEngine[Any] = JSON().with_variant(postgresql.JSONB(), "postgresql")


class UTCDateTime(TypeDecorator[datetime]):
    """Stored as naive UTC to the millisecond, read back as an aware UTC datetime."""

    impl = DateTime
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name not in PRECISE_TIMESTAMPS:
            return dialect.type_descriptor(DateTime())
        path, options = PRECISE_TIMESTAMPS[dialect.name]
        precise: type[TypeEngine[Any]] = resolve_name(path)
        return dialect.type_descriptor(precise(**options))

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.astimezone(UTC).replace(tzinfo=None)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC)


class Money(TypeDecorator[Decimal]):
    """NUMERIC(12, 2); on SQLite, whose NUMERIC is a float, an integer number of cents."""

    impl = Numeric(12, 2)
    cache_ok = True

    def load_dialect_impl(self, dialect: Dialect) -> TypeEngine[Any]:
        if dialect.name == "sqlite":
            return dialect.type_descriptor(BigInteger())
        return dialect.type_descriptor(Numeric(12, 2, asdecimal=True))

    def process_bind_param(self, value: Decimal | None, dialect: Dialect) -> Any:
        if value is None or dialect.name != "sqlite":
            return value
        return int(value.scaleb(2))

    def process_result_value(self, value: Any, dialect: Dialect) -> Decimal | None:
        if value is None:
            return None
        if dialect.name == "sqlite":
            return Decimal(value).scaleb(-2).quantize(CENT)
        return Decimal(value).quantize(CENT)
