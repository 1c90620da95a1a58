"""What each DB_TYPE is: one declaration per kind of database, read by the settings (its
port, URL schemes, replicas) and by the adapters (app/adapters/factory.py imports the
adapter, driver and replication reader named here; app/adapters/sql/dialects.py keeps a
SQL kind's connect options under the same name). Classes are "module:Class" strings, so
that settings import nothing of app/ and a driver is imported only when a database of its
kind is configured. Adding a kind: README, "Add a database kind"."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Kind:
    adapter: str  # "module:Class" of its DatabaseAdapter
    schemes: frozenset[str]  # what a CONNECTION_STRING of this kind may start with
    port: int | None = None  # a server's default port; None: embedded or in-process, no server
    driver: str | None = None  # the module that must import, and the extra that installs it
    extra: str | None = None  # (None: a dependency of the service itself)
    sqlalchemy: str | None = None  # SQLAlchemy's dialect+driver, for a kind spoken through it
    replication: str | None = None  # "module:Class" that reads replication positions (READ_REPLICAS)
    # What READ_ONLY adds to the URL's query, and so to every read replica's: for SQL
    # Server, the read-only intent a readable secondary may require. Empty: no READ_ONLY.
    read_only_query: tuple[tuple[str, str], ...] = ()
    needs_user: bool = True  # a server that may run without authentication says False
    default_name: str | None = None  # the DB_NAME when none is set

    @property
    def server(self) -> bool:
        return self.port is not None


SQL = "app.adapters.sql.adapter:SQLAdapter"
REPLICATION = "app.adapters.sql.replication"

KINDS: dict[str, Kind] = {
    "postgres": Kind(
        "app.adapters.sql.postgres:PostgresAdapter",
        frozenset({"postgres", "postgresql", "postgresql+asyncpg"}),
        port=5432,
        driver="asyncpg",
        extra="postgres",
        sqlalchemy="postgresql+asyncpg",
        replication=f"{REPLICATION}:PostgresReplication",
    ),
    "mysql": Kind(
        "app.adapters.sql.mariadb:MariaDBAdapter",
        frozenset({"mysql", "mysql+aiomysql", "mariadb", "mariadb+aiomysql"}),
        port=3306,
        driver="aiomysql",
        extra="mysql",
        sqlalchemy="mysql+aiomysql",
        replication=f"{REPLICATION}:MariaDBReplication",
    ),
    "sqlserver": Kind(
        SQL,
        frozenset({"mssql", "mssql+aioodbc", "sqlserver"}),
        port=1433,
        driver="aioodbc",
        extra="sqlserver",
        sqlalchemy="mssql+aioodbc",
        replication=f"{REPLICATION}:SQLServerReplication",
        read_only_query=(("ApplicationIntent", "ReadOnly"),),
    ),
    "mongodb": Kind(
        "app.adapters.mongodb.adapter:MongoAdapter",
        frozenset({"mongodb", "mongodb+srv"}),
        port=27017,
        driver="pymongo",
        extra="mongodb",
        needs_user=False,
    ),
    "sqlite": Kind(
        SQL,
        frozenset({"sqlite", "sqlite+aiosqlite"}),
        driver="aiosqlite",
        sqlalchemy="sqlite+aiosqlite",
        default_name="data/app.db",
    ),
    "memory": Kind("app.adapters.memory:InMemoryAdapter", frozenset({"memory"})),
}


def kind_of(db_type: str) -> Kind:
    try:
        return KINDS[db_type]
    except KeyError:
        raise ValueError(f"unknown DB_TYPE {db_type!r}; known: {', '.join(KINDS)}") from None
