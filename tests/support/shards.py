"""Shards for the sharding tests: fresh databases on the real servers, the settings
that shard analytics_db (events) over them, and what each one really holds."""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping
from typing import Any
from uuid import UUID

from app.adapters.interface import DatabaseAdapter
from app.adapters.sql.adapter import SQLAdapter
from settings import DatabaseConfig
from tests.support import backends, stored


def fresh_databases(postgres_url: str, mysql_url: str, kinds: Mapping[str, str]) -> dict[str, dict[str, Any]]:
    """DATABASES__<name>__* of a fresh, empty database for each name, on the server of
    its kind ("postgres" or "mysql"), named after the name."""
    configs: dict[str, dict[str, Any]] = {}
    for name, kind in kinds.items():
        if kind == "postgres":
            url = backends.sibling(postgres_url, name)
            backends.run(backends.recreate_postgres_database(url))
        else:
            url = backends.sibling(mysql_url, name)
            backends.run(backends.recreate_mysql_database(url))
        configs[name] = {"DB_TYPE": kind, "CONNECTION_STRING": url, "CONNECT_TIMEOUT": 2}
    return configs


async def stored_ids(config: Mapping[str, Any], table: str = "events") -> list[UUID]:
    """The ids a database holds, asked through its own driver."""
    values = await stored.column_values(DatabaseConfig.model_validate(config), table, "id")
    return [value if isinstance(value, UUID) else UUID(str(value)) for value in values]


async def where_stored(configs: Mapping[str, Mapping[str, Any]]) -> dict[UUID, list[str]]:
    """Every id in any of the databases, with the databases that hold it."""
    found: dict[UUID, list[str]] = {}
    for name, config in configs.items():
        for id in await stored_ids(config):
            found.setdefault(id, []).append(name)
    return found


class Statements:
    """Counts the statements each SQL database is sent, as its adapter sends them."""

    def __init__(self, members: Mapping[str, DatabaseAdapter]) -> None:
        self.counts: Counter[str] = Counter()
        for name, member in members.items():
            assert isinstance(member, SQLAdapter)
            member.listen(self._counter(name))

    def _counter(self, name: str) -> Any:
        def count(*_: Any) -> None:
            self.counts[name] += 1

        return count

    def reset(self) -> None:
        self.counts.clear()

    def touched(self) -> set[str]:
        return {name for name, count in self.counts.items() if count}
