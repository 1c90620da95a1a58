"""The named databases: one adapter provider per configured name, built from settings."""

from __future__ import annotations

from collections.abc import Iterable

from dependency_injector import containers, providers

from app.adapters.factory import DatabaseAdapterFactory
from app.adapters.interface import DatabaseAdapter, Store
from app.adapters.observed import Observer
from app.adapters.sharding.adapter import ShardedAdapter
from app.adapters.tenants import TenantAdapter
from settings import ConfigurationError, Settings
from settings.settings import PRIMARY


def named_databases(
    settings: Settings, bound: Iterable[str], observer: providers.Provider[Observer] | None = None
) -> containers.DynamicContainer:
    """One pooled adapter provider per configured database, its operations measured by
    `observer`; a name that code binds to but no one configured is the primary's provider
    (the design note's fallback), or a SQLite file of its own under SQLITE_DEMO."""
    databases = containers.DynamicContainer()
    configs = settings.database_configs()
    for name, config in configs.items():
        variable = "DB_TYPE" if name == PRIMARY else f"DATABASES__{name}__DB_TYPE"
        DatabaseAdapterFactory.get_adapter(config.DB_TYPE, variable)  # a missing driver stops the start
        databases.set_provider(
            name, providers.Singleton(DatabaseAdapterFactory.create, name, config, observer)
        )
    composites = {*settings.SHARDS, *settings.TENANT_SELECTED}
    fallbacks = sorted(set(bound) - set(configs) - composites)
    if settings.SQLITE_DEMO:
        for name in fallbacks:
            demo = settings.demo_config(name)
            databases.set_provider(
                name, providers.Singleton(DatabaseAdapterFactory.create, name, demo, observer)
            )
        fallbacks = []
    if fallbacks and settings.DATABASES_STRICT:
        missing = ", ".join(f"DATABASES__{name}__DB_TYPE" for name in fallbacks)
        raise ConfigurationError(f"DATABASES_STRICT=true and {missing} not set")
    for name in fallbacks:
        databases.set_provider(name, databases.providers[PRIMARY])
    for name, members in settings.SHARDS.items():
        shards = providers.Dict({member: databases.providers[member] for member in members})
        databases.set_provider(name, providers.Singleton(_sharded, name, shards))
    for name in settings.TENANT_SELECTED:
        tenants = providers.Dict({tenant: databases.providers[db] for tenant, db in settings.TENANTS.items()})
        databases.set_provider(name, providers.Singleton(_tenant_selected, name, tenants))
    return databases


def _sharded(name: str, shards: dict[str, Store]) -> DatabaseAdapter:
    return ShardedAdapter(name, shards)


def _tenant_selected(name: str, tenants: dict[str, Store]) -> DatabaseAdapter:
    return TenantAdapter(name, tenants)


def adapters_by_name(databases: providers.DependenciesContainer) -> dict[str, DatabaseAdapter]:
    """Each named database's adapter as the container provides it now, overrides included."""
    return {name: provider() for name, provider in sorted(databases.providers.items())}
