"""Each resource's line of SQL revisions, and those a database has applied, read without
Alembic. The service checks every schema at startup and again every SCHEMA_CHECK_INTERVAL;
Alembic, with the Mako and Pygments it imports, is 8 MiB of a serving process that only a
change of schema needs (bench/README.md, "Issue 11: memory"). Alembic stays the one that
writes and applies the revisions (alembic_run.py); tests/test_migrations.py checks that
both read the same lines."""

from __future__ import annotations

import ast
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Connection, column, inspect, select, table

SCRIPTS = Path(__file__).parents[2] / "migrations" / "sql"
VERSION_TABLE = "alembic_version"  # Alembic's default: env.py names no other


FIELDS = ("revision", "down_revision", "branch_labels")


@dataclass(frozen=True)
class Revision:
    id: str
    down: tuple[str, ...]  # the revisions it follows: none for a line's first
    labels: tuple[str, ...]


class RevisionLines:
    """The revision files in `versions/`, each resource's line starting at the revision
    that carries the resource's name as branch label (as `python -m app db revision`
    writes them)."""

    def __init__(self, versions: Path = SCRIPTS / "versions") -> None:
        self._revisions = [_read(path) for path in sorted(versions.glob("*.py"))]

    def line(self, name: str) -> list[str]:
        """The revisions of resource `name`, newest first; empty without any."""
        found = [r.id for r in self._revisions if name in r.labels]
        while found:
            after = [r.id for r in self._revisions if found[-1] in r.down]
            if len(after) > 1:
                raise ValueError(f"{name}: revisions {', '.join(after)} all follow {found[-1]}; merge them")
            if not after:
                break
            found.append(after[0])
        return found[::-1]


def _read(path: Path) -> Revision:
    """What a revision file assigns to `revision`, `down_revision` and `branch_labels`,
    read from its source: importing it would import Alembic."""
    values = {}
    for statement in ast.parse(path.read_text(encoding="utf-8")).body:
        match statement:
            case ast.Assign(targets=[ast.Name(id=name)], value=value) if name in FIELDS:
                values[name] = ast.literal_eval(value)
            case ast.AnnAssign(target=ast.Name(id=name), value=ast.expr() as value) if name in FIELDS:
                values[name] = ast.literal_eval(value)
    return Revision(
        values["revision"], _names(values.get("down_revision")), _names(values.get("branch_labels"))
    )


def _names(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Alembic's one name, several, or none, as a tuple."""
    if value is None:
        return ()
    return (value,) if isinstance(value, str) else tuple(value)


def applied(connection: Connection) -> set[str]:
    """The revisions recorded in the database's version table; none without one."""
    if not inspect(connection).has_table(VERSION_TABLE):
        return set()
    versions = table(VERSION_TABLE, column("version_num"))
    return set(connection.execute(select(versions.c.version_num)).scalars())
