from __future__ import annotations

from uuid import UUID

from pydantic import Field
from sqlalchemy import Column

from app.models import columns as sql
from app.models.base import RECORD_EXAMPLE, Record, Writable, example
from app.models.json_values import JsonObject, StoredJsonObject
from app.models.resource import Relation, Resource
from app.models.table import resource_table
from app.models.types import Timestamp, now


class EventBase(Writable):
    type: str = Field(min_length=1, max_length=64)
    user_id: UUID | None = None
    product_id: UUID | None = None
    properties: JsonObject = Field(default_factory=dict)
    occurred_at: Timestamp = Field(default_factory=now)


EVENT_EXAMPLE = {
    "type": "add_to_cart",
    "user_id": "0193a5b2-7c4e-7d1a-9f3b-5e2c8a1d4f60",
    "product_id": "0193a5b3-0d21-7b66-8e0a-3c9f51b27e14",
    "properties": {"quantity": 2, "source": "search"},
    "occurred_at": "2026-11-30T09:15:26.880Z",
}


class EventCreate(EventBase):
    model_config = example(EVENT_EXAMPLE)


class Event(EventBase, Record):
    model_config = example({**RECORD_EXAMPLE, **EVENT_EXAMPLE})
    # Read back as stored: a row written by another tool, or before a rule, never fails a
    # read (nor a list page that holds it).
    properties: StoredJsonObject = Field(default_factory=dict)


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
