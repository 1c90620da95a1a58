from __future__ import annotations

from app.migrations.mongodb_op import Database, Step, create_collection, drop_collection

SCHEMA = {
    "bsonType": "object",
    "required": ["_id", "sku", "name", "price", "stock", "created_at", "updated_at", "version"],
    "properties": {
        "_id": {"bsonType": "binData"},
        "sku": {"bsonType": "string", "minLength": 1, "maxLength": 64},
        "name": {"bsonType": "string", "minLength": 1, "maxLength": 200},
        "price": {"bsonType": "decimal"},
        "stock": {"bsonType": ["int", "long"], "minimum": 0},
        "created_at": {"bsonType": "date"},
        "updated_at": {"bsonType": "date"},
        "version": {"bsonType": ["int", "long"]},
    },
}


async def create(db: Database) -> None:
    await create_collection(db, "products", SCHEMA, unique=["sku"], indexed=["name"])


async def drop(db: Database) -> None:
    await drop_collection(db, "products")


STEPS = [Step("products_0001", "Create products.", create, drop)]
