from __future__ import annotations

from dataclasses import dataclass, field

from pydantic import BaseModel
from sqlalchemy import JSON, Table

from app.models.base import Record, partial_model, with_identifiers


@dataclass(frozen=True)
class Relation:
    """`field` holds the id of a row of the resource named `target`, which `?expand=<name>`
    embeds under `name`, loaded from whichever database that resource is bound to."""

    name: str
    field: str
    target: str


@dataclass(frozen=True)
class Resource:
    """Everything the generic layers need to serve one resource on any database.

    `table` is the storage schema: SQL adapters create it as is, the MongoDB and
    in-memory adapters take the collection name, unique fields and indexes from it.
    `shard_key` is the field whose value chooses a row's shard when the resource is
    bound to a sharded database (SHARDS): see README "Sharding".
    """

    name: str
    table: Table
    create: type[BaseModel]
    read: type[Record]
    filterable: tuple[str, ...] = ()
    relations: tuple[Relation, ...] = ()
    shard_key: str = "id"
    singular: str = ""  # one of it, in names and sentences: "user"; default the name less its "s"
    patch: type[BaseModel] = field(init=False)

    def __post_init__(self) -> None:
        if self.shard_key not in self.table.columns:
            raise ValueError(
                f"{self.name}: shard_key {self.shard_key!r} is not a column of {self.table.name}"
            )
        for relation in self.relations:
            if relation.field not in self.table.columns:
                raise ValueError(f"relation {relation.name!r} of {self.name}: no column {relation.field!r}")
            if relation.name in self.read.model_fields:
                raise ValueError(f"relation {relation.name!r} of {self.name} has the name of a field")
        object.__setattr__(self, "singular", self.singular or self.name.removesuffix("s"))
        if self.identifiers:  # NFC, and no invisible characters: see types.identifier
            object.__setattr__(self, "create", with_identifiers(self.create, self.identifiers))
        object.__setattr__(self, "patch", partial_model(self.create, self.identifiers))

    def relation(self, name: str) -> Relation:
        return next(relation for relation in self.relations if relation.name == name)

    @property
    def unique(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.table.columns if column.unique)

    @property
    def identifiers(self) -> tuple[str, ...]:
        """The unique text fields: what tells one row from another to a person."""
        fields = self.create.model_fields
        return tuple(name for name in self.unique if name in fields and _is_text(fields[name].annotation))

    @property
    def indexed(self) -> tuple[str, ...]:
        return tuple(column.name for column in self.table.columns if column.index)

    @property
    def sortable(self) -> tuple[str, ...]:
        return tuple(c.name for c in self.table.columns if not isinstance(c.type, JSON))


def _is_text(annotation: object) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, str)
