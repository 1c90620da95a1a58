"""Which database stores what: each resource's binding, read from the container, and
each distinct store with the resources it serves (schemas, migrations, rebalances)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from dependency_injector import providers

from app.adapters.composite import CompositeAdapter
from app.adapters.interface import DatabaseAdapter, Store
from app.models.resource import Resource
from containers.container import Container, controller_providers
from containers.named import adapters_by_name


@dataclass(frozen=True)
class Binding:
    resource: Resource
    database: str


@dataclass
class Placement:
    """One database of its own, the names that resolve to it, and the resources it serves."""

    adapter: Store
    names: list[str] = field(default_factory=list)
    resources: list[Resource] = field(default_factory=list)
    within: list[str] = field(default_factory=list)  # the composites it is a member of

    def answers_to(self, name: str) -> bool:
        """Whether `--database name` means this database: its own name or a composite's."""
        return name in self.names or name in self.within


def placements(container: Container) -> list[Placement]:
    """Every distinct store of the container with the resources stored in it. Names
    that fall back to the primary share its adapter, and so its placement; a resource
    bound to a composite (shards, tenants) is stored in each of its members."""
    adapters = adapters_by_name(container.databases)
    found: dict[int, Placement] = {}
    for name, adapter in adapters.items():
        if isinstance(adapter, Store):
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


def _stores(adapter: DatabaseAdapter) -> list[Store]:
    """The databases that hold the rows of what is bound to `adapter`."""
    if isinstance(adapter, CompositeAdapter):
        return list(adapter.members.values())
    assert isinstance(adapter, Store), f"{adapter.name}: neither a store nor a composite of stores"
    return [adapter]


def bindings(container: Container) -> list[Binding]:
    """Which database each controller provider is bound to, read from the container."""
    found = []
    for resource, provider in controller_providers(container):
        name = container.databases.resolve_provider_name(provider.kwargs["db_adapter"])
        found.append(Binding(resource, name))
    return sorted(found, key=lambda binding: binding.resource.name)


def served(container: Container) -> list[tuple[Resource, providers.Factory[Any]]]:
    """Each resource a controller provider of the container serves, with that provider,
    by the resource's name."""
    return sorted(controller_providers(container), key=lambda pair: pair[0].name)


def shared_resources(container: Container) -> list[Binding]:
    """In a tenant deployment, the resources served from one database for every tenant
    (bound to a name that is not tenant-selected), TENANT_SHARED or not."""
    settings = container.settings()
    if not settings.TENANT_SELECTED:
        return []
    return [binding for binding in bindings(container) if binding.database not in settings.TENANT_SELECTED]


def unserved_resources(container: Container) -> set[str]:
    """Resources that TENANT_SHARED, when set, leaves out: shared, and not named there."""
    named = container.settings().TENANT_SHARED
    if named is None:
        return set()
    return {binding.resource.name for binding in shared_resources(container)} - set(named)
