"""Which database serves which route, and where each database's configuration came from:
what the service logs at startup and every CLI command prints before it acts."""

from __future__ import annotations

from containers import Container
from containers.routing import databases, routes
from settings.settings import PRIMARY

FALLBACK = f"  (not configured: falls back to {PRIMARY})"


def routing_table(container: Container) -> list[str]:
    lines = ["==== routing table: route -> database name -> type, host, database ===="]
    for route in routes(container):
        fallback = FALLBACK if route.falls_back else ""
        lines.append(f"route /{route.resource} -> {route.database} -> {route.where}{fallback}")
    for database in databases(container):
        lines.append(f"database {database.name}: {database.where}, from {database.configured_by}")
    return lines
