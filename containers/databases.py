from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from typing import Any

from dependency_injector import containers, providers

from app.adapters.factory import DatabaseAdapterFactory
from app.adapters.interface import DatabaseAdapter
from app.controllers.base import BaseController
from app.models.resource import Resource
from settings import ConfigurationError, Settings
from settings.settings import PRIMARY


def named_databases(settings: Settings, bound: Iterable[str]) -> containers.DynamicContainer:
    """One pooled adapter provider per configured database; a name that code binds to
    but no one configured is the primary's provider (the design note's fallback), or
    a SQLite file of its own under SQLITE_DEMO."""
    databases = containers.DynamicContainer()
    configs = settings.database_configs()
    for name, config in configs.items():
        variable = "DB_TYPE" if name == PRIMARY else f"DATABASES__{name}__DB_TYPE"
        DatabaseAdapterFactory.get_adapter(config.DB_TYPE, variable)  # a missing driver stops the start
        databases.set_provider(name, providers.Singleton(DatabaseAdapterFactory.create, name, config))
    composites = {*settings.SHARDS, *settings.TENANT_SELECTED}
    fallbacks = sorted(set(bound) - set(configs) - composites)
    if settings.SQLITE_DEMO:
        for name in fallbacks:
            demo = settings.demo_config(name)
            databases.set_provider(name, providers.Singleton(DatabaseAdapterFactory.create, name, demo))
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


def _sharded(name: str, shards: dict[str, DatabaseAdapter]) -> DatabaseAdapter:
    from app.adapters.sharding.adapter import ShardedAdapter

    return ShardedAdapter(name, shards)


def _tenant_selected(name: str, tenants: dict[str, DatabaseAdapter]) -> DatabaseAdapter:
    from app.adapters.tenants import TenantAdapter

    return TenantAdapter(name, tenants)


def adapters_by_name(databases: providers.DependenciesContainer) -> dict[str, DatabaseAdapter]:
    """Each named database's adapter as the container provides it now, overrides included."""
    return {name: provider() for name, provider in sorted(databases.providers.items())}


@dataclass(frozen=True)
class Binding:
    resource: Resource
    database: str


@dataclass
class Placement:
    """One adapter, the names that resolve to it, and the resources it serves."""

    adapter: DatabaseAdapter
    names: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    within: list[str] = field(default_factory=list)  # the composites it is a member of

    def answers_to(self, name: str) -> bool:
        """Whether `--database name` means this database: its own name or a composite's."""
        return name in self.names or name in self.within


def placements(container: Any) -> list[Placement]:
    """Every distinct adapter of the container with the resources stored in it. Names
    that fall back to the primary share its adapter, and so its placement; a resource
    bound to a composite (shards, tenants) is stored in each of its members."""
    adapters = adapters_by_name(container.databases)
    found: dict[int, Placement] = {}
    for name, adapter in adapters.items():
        found.setdefault(id(adapter), Placement(adapter)).names.append(name)
    for binding in bindings(container):
        composite = adapters[binding.database]
        for adapter in _stores(composite):
            placement = found[id(adapter)]
            if binding.resource not in placement.resources:
                placement.resources.append(binding.resource)
            if adapter is not composite and binding.database not in placement.within:
                placement.within.append(binding.database)
    return list(found.values())


def _stores(adapter: DatabaseAdapter) -> list[DatabaseAdapter]:
    """The databases that hold the rows of what is bound to `adapter`."""
    if not adapter.members:
        return [adapter]
    return [store for member in adapter.members.values() for store in _stores(member)]


def bindings(container: Any) -> list[Binding]:
    """Which database each controller provider is bound to, read from the container."""
    found = []
    for resource, provider in _controller_providers(container):
        name = container.databases.resolve_provider_name(provider.kwargs["db_adapter"])
        found.append(Binding(resource, name))
    return sorted(found, key=lambda binding: binding.resource.name)


def controllers_by_resource(container: Any) -> dict[str, providers.Factory[Any]]:
    """The controller provider of each resource, by the resource's name: calling one
    follows the container's overrides, as a route's controller does."""
    return {resource.name: provider for resource, provider in _controller_providers(container)}


def check_relations(container: Any) -> None:
    """Every relation of a served resource targets a resource the container serves, so
    that `?expand=` cannot fail for want of a controller at request time."""
    served = controllers_by_resource(container)
    missing = [
        f"{resource.name}.{relation.name} -> {relation.target}"
        for resource, _ in _controller_providers(container)
        for relation in resource.relations
        if relation.target not in served
    ]
    if missing:
        raise ConfigurationError(
            f"relations target resources no controller of the container serves: {', '.join(missing)}"
        )


def _controller_providers(container: Any) -> Iterator[tuple[Resource, providers.Factory[Any]]]:
    for provider in container.traverse(types=[providers.Factory]):
        cls = provider.cls
        if isinstance(cls, type) and issubclass(cls, BaseController) and hasattr(cls, "resource"):
            yield cls.resource, provider
