"""Which database serves each route, and what each named database is: the facts of the
routing table that the service logs at startup and the status page shows."""

from __future__ import annotations

from dataclasses import dataclass

from app.adapters.composite import CompositeAdapter
from app.adapters.interface import DatabaseAdapter, Store
from containers.container import Container
from containers.databases import bindings
from containers.named import adapters_by_name
from settings.settings import PRIMARY


@dataclass(frozen=True)
class RouteRow:
    resource: str
    database: str
    where: str  # type, host, database
    falls_back: bool  # bound to a name nothing configures: served by the primary


@dataclass(frozen=True)
class DatabaseRow:
    name: str
    where: str
    configured_by: str


def routes(container: Container) -> list[RouteRow]:
    adapters = adapters_by_name(container.databases)
    primary = adapters[PRIMARY]
    return [
        RouteRow(
            binding.resource.name,
            binding.database,
            where(adapters[binding.database]),
            adapters[binding.database] is primary and binding.database != PRIMARY,
        )
        for binding in bindings(container)
    ]


def databases(container: Container) -> list[DatabaseRow]:
    """Every named database with a configuration of its own (not the names that fall back)."""
    settings = container.settings()
    adapters = adapters_by_name(container.databases)
    primary = adapters[PRIMARY]
    return [
        DatabaseRow(name, where(adapter), settings.configured_by(name))
        for name, adapter in adapters.items()
        if adapter is not primary or name == PRIMARY
    ]


def where(adapter: DatabaseAdapter) -> str:
    if isinstance(adapter, CompositeAdapter):
        return adapter.describe()
    assert isinstance(adapter, Store), f"{adapter.name}: neither a store nor a composite of stores"
    return adapter.config.describe()
