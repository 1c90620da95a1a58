from __future__ import annotations

from typing import Any
from uuid import UUID as PyUUID

from pydantic import Field
from sqlalchemy import Column

from app.adapters.sql.types import UUID, Json, Text, UTCDateTime
from app.models.base import Record, Writable
from app.models.resource import Resource
from app.models.table import resource_table
from app.models.types import Timestamp, now


class EventBase(Writable):
    type: str = Field(min_length=1, max_length=64)
    user_id: PyUUID | None = None
    product_id: PyUUID | None = None
    properties: dict[str, Any] = Field(default_factory=dict)
    occurred_at: Timestamp = Field(default_factory=now)


class EventCreate(EventBase):
    pass


class Event(EventBase, Record):
    pass


events_table = resource_table(
    "events",
    Column("type", Text(64), nullable=False, index=True),
    Column("user_id", UUID, nullable=True, index=True),
    Column("product_id", UUID, nullable=True, index=True),
    Column("properties", Json, nullable=False),
    Column("occurred_at", UTCDateTime, nullable=False),
)

EVENTS = Resource(
    name="events",
    table=events_table,
    create=EventCreate,
    read=Event,
    filterable=("type", "user_id", "product_id"),
)
