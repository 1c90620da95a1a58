"""A resource's MongoDB step, written from its table (and its model's bounds), so that a
field's facts, such as its maximum length, are written once: in the model and table.

No driver is imported here: `db revision --autogenerate` writes the step wherever it runs.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from annotated_types import Ge, MinLen
from sqlalchemy import JSON, Boolean, Column, DateTime, Float, Integer, Numeric, String, TypeDecorator, Uuid

from app.models.resource import Resource

STEPS = Path(__file__).parents[2] / "migrations" / "mongodb"
# Most specific first: an Integer is also Numeric in some SQLAlchemy versions.
BSON_TYPES: list[tuple[type[Any], str | list[str]]] = [
    (Uuid, "binData"),
    (String, "string"),
    (Boolean, "bool"),
    (Integer, ["int", "long"]),
    (Float, "double"),
    (Numeric, "decimal"),
    (DateTime, "date"),
    (JSON, "object"),
]


def json_schema(resource: Resource) -> dict[str, Any]:
    """The $jsonSchema validator of the resource's collection."""
    required = ["_id"]
    properties: dict[str, Any] = {"_id": {"bsonType": "binData"}}
    for column in resource.table.columns:
        if column.name == "id":
            continue
        properties[column.name] = _property(resource, column)
        if not column.nullable:
            required.append(column.name)
    return {"bsonType": "object", "required": required, "properties": properties}


def _property(resource: Resource, column: Column[Any]) -> dict[str, Any]:
    kind = column.type.impl if isinstance(column.type, TypeDecorator) else column.type
    bson = next((bson for sql, bson in BSON_TYPES if isinstance(kind, sql)), None)
    if bson is None:
        raise ValueError(f"{resource.name}.{column.name}: no MongoDB type for {column.type!r}")
    kinds = bson if isinstance(bson, list) else [bson]
    spec: dict[str, Any] = {"bsonType": [*kinds, "null"] if column.nullable else bson}
    field = resource.create.model_fields.get(column.name)
    for bound in field.metadata if field is not None else ():
        if isinstance(bound, MinLen) and bson == "string":
            spec["minLength"] = bound.min_length
        if isinstance(bound, Ge) and bson != "string":
            spec["minimum"] = bound.ge
    if isinstance(kind, String) and kind.length is not None:
        spec["maxLength"] = kind.length
    return spec


def step_source(resource: Resource, message: str) -> str:
    """The module of the resource's first step: its collection, validator and indexes,
    laid out as `ruff format` would."""
    schema = json_schema(resource)
    properties = "".join(
        f'        "{name}": {json.dumps(spec)},\n' for name, spec in schema["properties"].items()
    )
    create = f'db, "{resource.table.name}", SCHEMA, unique={json.dumps(resource.unique)}'
    create += f", indexed={json.dumps(resource.indexed)}"
    call = f"create_collection({create})"
    if len("    await ") + len(call) > 110:
        call = f"create_collection(\n        {create}\n    )"
    return f'''"""{resource.name} on MongoDB: written by `python -m app db revision --autogenerate`."""

from __future__ import annotations

from app.migrations.mongodb_op import Database, Step, create_collection, drop_collection

SCHEMA = {{
    "bsonType": "object",
    "required": {json.dumps(schema["required"])},
    "properties": {{
{properties}    }},
}}


async def create(db: Database) -> None:
    await {call}


async def drop(db: Database) -> None:
    await drop_collection(db, "{resource.table.name}")


STEPS = [Step("{resource.name}_0001", {json.dumps(message)}, create, drop)]
'''


def write_step(resource: Resource, message: str, directory: Path = STEPS) -> Path | None:
    """Write the resource's first MongoDB step, unless it has one: the new file's path.
    Later steps (a changed collection) are written by hand, beside the first."""
    path = directory / f"{resource.name}.py"
    if path.exists():
        return None
    path.write_text(step_source(resource, message))
    return path
