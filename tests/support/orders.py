"""A resource that the service does not have, as the README's recipe adds it: for tests
that add a resource at test time."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

from pydantic import Field
from sqlalchemy import Column

from app.models import columns as sql
from app.models.base import Record, Writable
from app.models.resource import Resource
from app.models.table import metadata, resource_table
from app.models.types import Money


class OrderCreate(Writable):
    number: str = Field(min_length=1, max_length=32)
    total: Money


class Order(OrderCreate, Record):
    pass


@contextmanager
def orders() -> Iterator[Resource]:
    table = resource_table(
        "orders",
        Column("number", sql.Text(32), nullable=False, unique=True),
        Column("total", sql.Money, nullable=False),
    )
    try:
        yield Resource(name="orders", table=table, create=OrderCreate, read=Order, filterable=("number",))
    finally:
        metadata.remove(table)  # the service's own schema knows nothing of it
