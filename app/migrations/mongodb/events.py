from __future__ import annotations

from app.migrations.mongodb_op import Database, Step, create_collection, drop_collection

SCHEMA = {
    "bsonType": "object",
    "required": ["_id", "type", "properties", "occurred_at", "created_at", "updated_at", "version"],
    "properties": {
        "_id": {"bsonType": "binData"},
        "type": {"bsonType": "string", "minLength": 1, "maxLength": 64},
        "user_id": {"bsonType": ["binData", "null"]},
        "product_id": {"bsonType": ["binData", "null"]},
        "properties": {"bsonType": "object"},
        "occurred_at": {"bsonType": "date"},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": "date"},
        "version": {"bsonType": ["int", "long"]},
    },
}


async def create(db: Database) -> None:
    await create_collection(db, "events", SCHEMA, indexed=["type", "user_id", "product_id"])


async def drop(db: Database) -> None:
    await drop_collection(db, "events")


STEPS = [Step("events_0001", "Create events.", create, drop)]
