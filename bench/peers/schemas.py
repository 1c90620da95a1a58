"""The peers' API schemas: the baseline's input rules, and a read schema that writes what the
service writes (its field order, `price` with its 2 places, UTC times with "Z")."""

from __future__ import annotations

from datetime import UTC, datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from pydantic import BaseModel, ConfigDict, PlainSerializer

from bench.baseline.app import iso
from bench.baseline.models import ProductIn, ProductPatch

# As the service writes a time: UTC, all three decimals, and "Z".
Time = Annotated[datetime, PlainSerializer(lambda stamp: iso(stamp.astimezone(UTC)), return_type=str)]

__all__ = ["ProductIn", "ProductPatch", "ProductRead", "utc_now"]


class ProductRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: UUID
    created_at: Time
    updated_at: Time
    sku: str
    name: str
    price: Decimal
    stock: int


def utc_now() -> datetime:
    """Now, in UTC, to the millisecond the table keeps."""
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def database_url() -> str:
    """BENCH_DSN (postgresql://...) for SQLAlchemy's asyncpg dialect."""
    import os

    return os.environ["BENCH_DSN"].replace("postgresql://", "postgresql+asyncpg://", 1)
