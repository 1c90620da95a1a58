"""A named database made of other named databases: the base of sharded and
tenant-selected databases.

Its members are databases of their own, configured by name, so the container builds,
the lifespan connects and migrates, and /health reports each of them under its own
name. A composite holds them and routes each call to the member, or members, it
belongs to; it has no pool, schema or configuration of its own.
"""

from __future__ import annotations

import asyncio
from collections.abc import Mapping

from app.adapters.interface import DatabaseAdapter, Store


class CompositeAdapter(DatabaseAdapter):
    def __init__(self, name: str, members: Mapping[str, Store]) -> None:
        self.name = name
        self.members: Mapping[str, Store] = dict(members)

    def describe(self) -> str:
        """Each member's database, after its key where that differs (a tenant: acme -> acme_db)."""
        names = [
            key if key == member.name else f"{key} -> {member.name}" for key, member in self.members.items()
        ]
        return f"{self.db_type} of {', '.join(names)}"

    async def ping(self) -> None:
        await asyncio.gather(*(member.ping() for member in self.members.values()))
