"""Which database serves which route, and where each database's configuration came from:
what the service logs at startup and every CLI command prints before it acts."""

from __future__ import annotations

from typing import Any

from app.adapters.interface import DatabaseAdapter
from containers.databases import adapters_by_name, bindings
from settings.settings import PRIMARY

FALLBACK = f"  (not configured: falls back to {PRIMARY})"


def routing_table(container: Any) -> list[str]:
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
    if not adapter.members:
        return adapter.config.describe()
    return f"{adapter.db_type} of {', '.join(_member_names(adapter))}"


def _member_names(adapter: DatabaseAdapter) -> list[str]:
    """Each member's database, after its key where that differs (a tenant: acme -> acme_db)."""
    return [
        key if key == member.name else f"{key} -> {member.name}" for key, member in adapter.members.items()
    ]
