from __future__ import annotations

from uuid import UUID

from pydantic import Field
from sqlalchemy import Column

from app.models import columns as sql
from app.models.base import Record, Writable
from app.models.resource import Relation, Resource
from app.models.table import resource_table
from app.models.types import Properties, Timestamp, now


class EventBase(Writable):
    type: str = Field(min_length=1, max_length=64)
    user_id: UUID | None = None
    product_id: UUID | None = None
    properties: Properties = Field(default_factory=dict)
    occurred_at: Timestamp = Field(default_factory=now)


class EventCreate(EventBase):
    pass


class Event(EventBase, Record):
    pass


events_table = resource_table(
    "events",
    Column("type", sql.Text(64), nullable=False, index=True),
    Column("user_id", sql.UUID, nullable=True, index=True),
    Column("product_id", sql.UUID, nullable=True, index=True),
    Column("properties", sql.Json, nullable=False),
    Column("occurred_at", sql.UTCDateTime, nullable=False),
)

EVENTS = Resource(
    name="events",
    table=events_table,
    create=EventCreate,
    read=Event,
    filterable=("type", "user_id", "product_id"),
    relations=(
        Relation(name="user", field="user_id", target="users"),
        Relation(name="product", field="product_id", target="products"),
    ),
)
