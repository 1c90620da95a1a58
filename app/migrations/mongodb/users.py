from __future__ import annotations

from app.migrations.mongodb_op import Database, Step, create_collection, drop_collection

SCHEMA = {
    "bsonType": "object",
    "required": ["_id", "email", "name", "created_at", "updated_at", "version"],
    "properties": {
        "_id": {"bsonType": "binData"},
        "email": {"bsonType": "string", "maxLength": 320},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 100},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": "date"},
        "version": {"bsonType": ["int", "long"]},
    },
}


async def create(db: Database) -> None:
    await create_collection(db, "users", SCHEMA, unique=["email"], indexed=["name"])


async def drop(db: Database) -> None:
    await drop_collection(db, "users")


STEPS = [Step("users_0001", "Create users.", create, drop)]
