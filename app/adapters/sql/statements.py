"""A table's statements, built with SQLAlchemy Core and compiled once per dialect, for a
driver to run on its own connections (as encode/databases does).

Compiling is what SQLAlchemy's engine would do on every call (build the statement, key
its cache, look the key up); here it happens once per statement shape, and each call
only binds its values, through the same type processors SQLAlchemy would apply. The
shapes that vary (a PATCH's columns, a list's filters and order) are compiled on first
use and kept, up to MAX_SHAPES per table. Sets of values are bound as one array
(`= ANY($1)`), so this is for dialects with arrays: PostgreSQL.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import ARRAY, Column, Table, any_, bindparam, delete, func, insert, select, update
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from app.adapters.sql.dialects import order_by

Row = dict[str, Any]
Processor = Callable[[Any], Any]
MAX_SHAPES = 256  # per table: filters x sort orders x PATCH column sets seen so far


class Statement:
    """One compiled statement: its SQL, and how a call's values become its arguments."""

    __slots__ = ("_binds", "sql")

    def __init__(self, statement: ClauseElement, dialect: Dialect) -> None:
        compiled = statement.compile(dialect=dialect)
        assert isinstance(compiled, SQLCompiler)
        assert compiled.positiontup is not None
        processors = cast(Mapping[str, Processor], compiled._bind_processors)  # no tuple types here
        fixed = compiled.params  # values written into the statement itself, such as `version + 1`
        self.sql = compiled.string
        self._binds = tuple((name, processors.get(name), fixed.get(name)) for name in compiled.positiontup)

    def args(self, values: Mapping[str, Any]) -> list[Any]:
        return [
            value if process is None else process(value)
            for name, process, fixed in self._binds
            for value in (values.get(name, fixed),)
        ]


class Rows:
    """A driver's records as the adapter's rows, through each column's result processor.
    `type_code` gives what the driver would say of a column's type in a cursor description
    (some processors depend on it)."""

    __slots__ = ("_names", "_processed")

    def __init__(
        self, columns: Iterable[Column[Any]], dialect: Dialect, type_code: Callable[[str], Any]
    ) -> None:
        columns = list(columns)
        self._names = tuple(column.name for column in columns)
        processors = (
            (
                column.name,
                column.type._cached_result_processor(dialect, type_code(_sql_type(column, dialect))),
            )
            for column in columns
        )
        self._processed = tuple((name, process) for name, process in processors if process is not None)

    def row(self, record: Sequence[Any]) -> Row:
        row = dict(zip(self._names, record, strict=True))
        for name, process in self._processed:
            row[name] = process(row[name])
        return row


class TableStatements:
    def __init__(self, table: Table, dialect: Dialect, type_code: Callable[[str], Any]) -> None:
        self.table = table
        self.dialect = dialect
        self.rows = Rows(table.columns, dialect, type_code)
        c = table.c
        self.get = Statement(select(table).where(c.id == bindparam("id")), dialect)
        self.get_many = Statement(select(table).where(c.id == any_(_array("ids", c.id))), dialect)
        self._shapes: dict[Hashable, Statement] = {}

    def insert(self, names: Sequence[str]) -> Statement:
        return self._shaped(
            ("insert", tuple(names)),
            lambda: insert(self.table).values({name: bindparam(name) for name in names}),
        )

    def update(self, names: Sequence[str], versioned: bool) -> Statement:
        """SET the named columns and version + 1, WHERE the id (and a version in
        `_versions`) match; RETURNING the row."""

        def build() -> Any:
            c = self.table.c
            values: dict[str, Any] = {name: bindparam(name) for name in names}
            return (
                self._only(update(self.table), versioned)
                .values({**values, "version": c.version + 1})
                .returning(*c)
            )

        return self._shaped(("update", tuple(names), versioned), build)

    def delete(self, versioned: bool) -> Statement:
        return self._shaped(
            ("delete", versioned),
            lambda: self._only(delete(self.table), versioned).returning(self.table.c.id),
        )

    def page(self, filters: Sequence[str], sort: Sequence[tuple[str, bool]]) -> Statement:
        """Filters bound as `filter_<name>`, then `limit` and `offset`."""

        def build() -> Any:
            c = self.table.c
            order = (order_by(c[name], descending, self.dialect) for name, descending in sort)
            return (
                select(self.table)
                .where(*self._filters(filters))
                .order_by(*order)
                .limit(bindparam("limit"))
                .offset(bindparam("offset"))
            )

        return self._shaped(("page", tuple(filters), tuple(sort)), build)

    def count(self, filters: Sequence[str]) -> Statement:
        return self._shaped(
            ("count", tuple(filters)),
            lambda: select(func.count()).select_from(self.table).where(*self._filters(filters)),
        )

    def _filters(self, names: Sequence[str]) -> list[Any]:
        return [self.table.c[name] == bindparam(f"filter_{name}") for name in names]

    def _only(self, statement: Any, versioned: bool) -> Any:
        c = self.table.c
        statement = statement.where(c.id == bindparam("_id"))
        return statement.where(c.version == any_(_array("_versions", c.version))) if versioned else statement

    def _shaped(self, key: Hashable, build: Callable[[], Any]) -> Statement:
        statement = self._shapes.get(key)
        if statement is None:
            statement = Statement(build(), self.dialect)
            if len(self._shapes) >= MAX_SHAPES:  # the oldest shape goes first
                del self._shapes[next(iter(self._shapes))]
            self._shapes[key] = statement
        return statement


def _code(column: Column[Any], dialect: Dialect, type_code: Callable[[str], Any]) -> Any:
    return type_code(_sql_type(column, dialect))


def _sql_type(column: Column[Any], dialect: Dialect) -> str:
    """The column's type as the database names it, lower case, without length or collation:
    "numeric", "timestamp without time zone"."""
    return column.type.compile(dialect=dialect).split("(")[0].split(" COLLATE ")[0].strip().lower()


def _array(name: str, column: Column[Any]) -> Any:
    return bindparam(name, type_=ARRAY(column.type))
