"""Which database serves which route, and where each database's configuration came from:
what the service logs at startup and every CLI command prints before it acts."""

from __future__ import annotations

from app.adapters.composite import CompositeAdapter
from app.adapters.interface import DatabaseAdapter, Store
from containers import Container
from containers.databases import bindings
from containers.named import adapters_by_name
from settings.settings import PRIMARY

FALLBACK = f"  (not configured: falls back to {PRIMARY})"


def routing_table(container: Container) -> list[str]:
    settings = container.settings()
    adapters = adapters_by_name(container.databases)
    primary = adapters[PRIMARY]
    lines = ["==== routing table: route -> database name -> type, host, database ===="]
    for binding in bindings(container):
        adapter = adapters[binding.database]
        falls_back = adapter is primary and binding.database != PRIMARY
        lines.append(
            f"route /{binding.resource.name} -> {binding.database} -> {_where(adapter)}"
            f"{FALLBACK if falls_back else ''}"
        )
    for name, adapter in adapters.items():
        if adapter is not primary or name == PRIMARY:
            lines.append(f"database {name}: {_where(adapter)}, from {settings.configured_by(name)}")
    return lines


def _where(adapter: DatabaseAdapter) -> str:
    if isinstance(adapter, CompositeAdapter):
        return adapter.describe()
    assert isinstance(adapter, Store), f"{adapter.name}: neither a store nor a composite of stores"
    return adapter.config.describe()
