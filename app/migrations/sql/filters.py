from __future__ import annotations

from collections.abc import Callable
from typing import Any


def include_only(tables: set[str]) -> Callable[..., bool]:
    """Alembic's include_object for the tables of the resources on one database: the
    others, and Alembic's own version table, are none of this database's business."""

    def include(obj: Any, name: str | None, type_: str, reflected: bool, compare_to: Any) -> bool:
        table = name if type_ == "table" else getattr(getattr(obj, "table", None), "name", None)
        return table in tables

    return include
