"""A table's statements, built with SQLAlchemy Core and compiled once per dialect, for a
driver to run on its own connections (as encode/databases does).

Compiling is what SQLAlchemy's engine would do on every call (build the statement, key
its cache, look the key up); here it happens once per statement shape, and each call
only binds its values, through the same type processors SQLAlchemy would apply. The
shapes that vary (a PATCH's columns, a list's filters and order) are compiled on first
use and kept, up to MAX_SHAPES per table. A set of values is bound as one array
(`= ANY($1)`) where the dialect has arrays (PostgreSQL), else as `IN (%s, %s, ...)`, a shape
per power-of-two size.
"""

from __future__ import annotations

from collections.abc import Callable, Hashable, Iterable, Mapping, Sequence
from typing import Any, cast

from sqlalchemy import (
    ARRAY,
    Column,
    DateTime,
    String,
    Table,
    any_,
    bindparam,
    delete,
    false,
    func,
    insert,
    literal_column,
    select,
    type_coerce,
    update,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.sql.compiler import SQLCompiler
from sqlalchemy.sql.elements import ClauseElement

from app.adapters.sql.dialects import order_by
from app.models.columns import UTCDateTime

Row = dict[str, Any]
Processor = Callable[[Any], Any]
MAX_SHAPES = 256  # per table: filters x sort orders x PATCH column sets seen so far
# Ids per `IN (...)`: well under every dialect's limit on bound parameters, so a larger
# batch is several statements on one connection.
IDS_PER_STATEMENT = 1024


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
        get = values.get
        return [
            get(name, fixed) if process is None else process(get(name, fixed))
            for name, process, fixed in self._binds
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
        self.arrays = dialect.name == "postgresql"
        self.update_returns = bool(dialect.update_returning)
        self._read = _read_as_utc(table, dialect)
        self._select = select(*self._read)
        self.rows = Rows(self._read, dialect, type_code)  # what any statement here reads, as rows
        self.get = Statement(self._select.where(table.c.id == bindparam("id")), dialect)
        self._shapes: dict[Hashable, Statement] = {}

    def get_many(self, ids: Sequence[Any]) -> list[tuple[Statement, Row]]:
        """The statements that read these ids, with their values."""
        if self.arrays:
            return [(self._reader(0), {"ids": ids})]
        found = []
        for start in range(0, len(ids), IDS_PER_STATEMENT):
            batch = list(ids[start : start + IDS_PER_STATEMENT])
            # Sizes rounded up to a power of two, the last id repeated: few shapes to compile.
            size = 1 << (len(batch) - 1).bit_length()
            batch += batch[-1:] * (size - len(batch))
            found.append((self._reader(size), {f"ids_{i}": id for i, id in enumerate(batch)}))
        return found

    def _reader(self, size: int) -> Statement:
        return self._shaped(("get_many", size), lambda: self._where_in(self._select, "id", size))

    def versions(self, versions: Sequence[int] | None) -> Row:
        """The values of `update` and `delete`'s version condition."""
        if versions is None:
            return {}
        if self.arrays:
            return {"versions": versions}
        return {f"versions_{i}": version for i, version in enumerate(versions)}

    def insert(self, names: Sequence[str]) -> Statement:
        return self._shaped(
            ("insert", tuple(names)),
            lambda: insert(self.table).values({name: bindparam(name) for name in names}),
        )

    def update(self, names: Sequence[str], versions: Sequence[int] | None) -> Statement:
        """SET the named columns and version + 1, WHERE the id (and a version in `versions`)
        match; RETURNING the row where the dialect can."""

        def build() -> Any:
            c = self.table.c
            values: dict[str, Any] = {name: bindparam(name) for name in names}
            statement = self._only(update(self.table), versions).values({**values, "version": c.version + 1})
            return statement.returning(*self._read) if self.update_returns else statement

        return self._shaped(("update", tuple(names), self._size(versions)), build)

    def delete(self, versions: Sequence[int] | None) -> Statement:
        return self._shaped(
            ("delete", self._size(versions)), lambda: self._only(delete(self.table), versions)
        )

    def page(self, filters: Sequence[str], sort: Sequence[tuple[str, bool]]) -> Statement:
        """Filters bound as `filter_<name>`, then `limit` and `offset`."""

        def build() -> Any:
            c = self.table.c
            order = (order_by(c[name], descending, self.dialect) for name, descending in sort)
            return (
                self._select.where(*self._filters(filters))
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

    def _only(self, statement: Any, versions: Sequence[int] | None) -> Any:
        statement = statement.where(self.table.c.id == bindparam("_id"))
        return statement if versions is None else self._where_in(statement, "version", len(versions))

    def _where_in(self, statement: Any, name: str, size: int) -> Any:
        """`name` among the values bound as `<name>s` (an array) or `<name>s_0`, `<name>s_1`, ..."""
        column = self.table.c[name]
        if self.arrays:
            return statement.where(column == any_(bindparam(f"{name}s", type_=ARRAY(column.type))))
        if size == 0:  # no value can match (an If-Match that names no version)
            return statement.where(false())
        return statement.where(
            column.in_([bindparam(f"{name}s_{i}", type_=column.type) for i in range(size)])
        )

    def _size(self, versions: Sequence[int] | None) -> int | None:
        if versions is None:
            return None
        return 0 if self.arrays else len(versions)

    def _shaped(self, key: Hashable, build: Callable[[], Any]) -> Statement:
        statement = self._shapes.get(key)
        if statement is None:
            statement = Statement(build(), self.dialect)
            if len(self._shapes) >= MAX_SHAPES:  # the oldest shape goes first
                del self._shapes[next(iter(self._shapes))]
            self._shapes[key] = statement
        return statement


def _read_as_utc(table: Table, dialect: Dialect) -> list[Any]:
    """The table's columns as every statement reads them (a page, a row by id, an UPDATE's
    RETURNING): on PostgreSQL, each UTC timestamp column
    as `timezone('UTC', column)` (`AT TIME ZONE 'UTC'`), which asyncpg decodes straight to
    an aware UTC datetime, instead of a naive one that a Python processor makes aware, value
    by value (bench/README.md, "The list path, issue 11"). The order and filters stay on the
    columns themselves, so the page is still read off the index."""
    if dialect.name != "postgresql":
        return list(table.columns)
    utc = literal_column("'UTC'", String())
    return [
        type_coerce(func.timezone(utc, column), DateTime(timezone=True)).label(column.name)
        if isinstance(column.type, UTCDateTime)
        else column
        for column in table.columns
    ]


def _sql_type(column: Column[Any], dialect: Dialect) -> str:
    """The column's type as the database names it, lower case, without length or collation:
    "numeric", "timestamp without time zone"."""
    return column.type.compile(dialect=dialect).split("(")[0].split(" COLLATE ")[0].strip().lower()
