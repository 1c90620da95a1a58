from __future__ import annotations

import os
import sys
from importlib import import_module, metadata
from pathlib import Path

from app.adapters.interface import DatabaseAdapter
from settings import ConfigurationError, DatabaseConfig

# DB_TYPE -> "module:Class". A module is imported only when a database of its type is
# configured, so a deployment installs only the drivers it uses.
ADAPTERS = {
    "postgres": "app.adapters.sql.adapter:SQLAdapter",
    "mysql": "app.adapters.sql.adapter:SQLAdapter",
    "sqlserver": "app.adapters.sql.adapter:SQLAdapter",
    "sqlite": "app.adapters.sql.adapter:SQLAdapter",
    "mongodb": "app.adapters.mongodb.adapter:MongoAdapter",
    "memory": "app.adapters.memory:InMemoryAdapter",
}

# How each DB_TYPE that can have READ_REPLICAS states replication positions.
REPLICATION = {
    "postgres": "app.adapters.sql.replication:PostgresReplication",
    "mysql": "app.adapters.sql.replication:MariaDBReplication",
}

# The driver each DB_TYPE needs, and the extra that installs it.
DRIVERS = {
    "postgres": ("asyncpg", "postgres"),
    "mysql": ("aiomysql", "mysql"),
    "sqlserver": ("aioodbc", "sqlserver"),
    "sqlite": ("aiosqlite", "sqlite"),
    "mongodb": ("pymongo", "mongodb"),
}


class DatabaseAdapterFactory:
    @staticmethod
    def get_adapter(db_type: str, variable: str = "DB_TYPE") -> type[DatabaseAdapter]:
        """The adapter class of `db_type`, which `variable` set: named in the errors."""
        if db_type not in ADAPTERS:
            raise ConfigurationError(f"unknown {variable} {db_type!r}; known: {', '.join(ADAPTERS)}")
        if db_type in DRIVERS:
            driver, extra = DRIVERS[db_type]
            try:
                import_module(driver)
            except ImportError:
                raise ConfigurationError(
                    f"{variable}={db_type} needs the {driver} driver: {install_command(extra)}"
                ) from None
        module, _, cls = ADAPTERS[db_type].partition(":")
        adapter: type[DatabaseAdapter] = getattr(import_module(module), cls)
        return adapter

    @classmethod
    def create(cls, name: str, config: DatabaseConfig) -> DatabaseAdapter:
        adapter = cls.get_adapter(config.DB_TYPE)
        if not config.READ_REPLICAS:
            return adapter(name, config)
        from app.adapters.sql.adapter import SQLAdapter
        from app.adapters.sql.replicated import ReplicatedAdapter

        module, _, replication = REPLICATION[config.DB_TYPE].partition(":")
        primary = SQLAdapter(name, config)
        replicas = [
            SQLAdapter(f"{name} replica {i}", replica) for i, replica in enumerate(config.replicas(), 1)
        ]
        return ReplicatedAdapter(primary, replicas, getattr(import_module(module), replication)())


def install_command(extra: str) -> str:
    """The command that installs `extra` into the Python that runs this: from the checkout
    this code was loaded from, or from the package index when it was installed from there."""
    python = os.path.relpath(sys.executable) if sys.executable.startswith(os.getcwd()) else sys.executable
    checkout = Path(__file__).resolve().parents[2]
    if (checkout / "pyproject.toml").is_file():
        where = "." if checkout == Path.cwd().resolve() else str(checkout)
        return f"{python} -m pip install -e '{where}[{extra}]'"
    (distribution, *_) = metadata.packages_distributions().get("app", ["multidb-service"])
    return f"{python} -m pip install '{distribution}[{extra}]'"
