from __future__ import annotations

from importlib import import_module

from app.adapters.interface import DatabaseAdapter
from settings import ConfigurationError, DatabaseConfig

# DB_TYPE -> "module:Class". A module is imported only when a database of its type is
# configured, so a deployment installs only the drivers it uses.
ADAPTERS = {
    "postgres": "app.adapters.sql.postgres:PostgresAdapter",
    "mysql": "app.adapters.sql.mariadb:MariaDBAdapter",
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
    def get_adapter(db_type: str) -> type[DatabaseAdapter]:
        if db_type not in ADAPTERS:
            raise ConfigurationError(f"unknown DB_TYPE {db_type!r}; known: {', '.join(ADAPTERS)}")
        if db_type in DRIVERS:
            driver, extra = DRIVERS[db_type]
            try:
                import_module(driver)
            except ImportError:
                raise ConfigurationError(
                    f"DB_TYPE={db_type} needs the {driver} driver: pip install 'multidb[{extra}]'"
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

        assert issubclass(adapter, SQLAdapter), f"{config.DB_TYPE} has no read replicas"
        module, _, replication = REPLICATION[config.DB_TYPE].partition(":")
        primary = adapter(name, config)
        replicas = [adapter(f"{name} replica {i}", replica) for i, replica in enumerate(config.replicas(), 1)]
        return ReplicatedAdapter(primary, replicas, getattr(import_module(module), replication)())
