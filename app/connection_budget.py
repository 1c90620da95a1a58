"""How many connections the service may open on each database server, said at startup:
every one of WORKERS processes has its own pools, each up to POOL_SIZE + MAX_OVERFLOW
connections (and as many on each read replica). Where the server tells its limit, a
budget over SHARE of it is a warning: the rest is for migrations, the shell, monitoring,
other clients, and the connections a restarting worker holds while its successor opens."""

from __future__ import annotations

import logging
from collections import defaultdict
from dataclasses import dataclass

from app.adapters.interface import Store
from app.errors import DomainError
from containers.databases import Placement

logger = logging.getLogger("multidb")

SHARE = 0.8
# What each kind of server answers with its connection limit.
_LIMIT_QUERIES = {"postgres": "SHOW max_connections", "mysql": "SELECT @@max_connections"}


@dataclass(frozen=True)
class Budget:
    name: str
    server: str  # where the limit applies: the server without its database
    connections: int  # workers x (POOL_SIZE + MAX_OVERFLOW)
    adapter: Store


def budgets(found: list[Placement], workers: int) -> list[Budget]:
    """The budget of each database on a server (not SQLite, not in-process)."""
    result = []
    for placement in found:
        adapter = placement.adapter
        config = adapter.config
        if config.kind.server and placement.names:
            server = adapter.identity.rsplit("/", 1)[0]
            per_worker = config.POOL_SIZE + config.MAX_OVERFLOW
            result.append(Budget(adapter.name, server, workers * per_worker, adapter))
    return result


async def log_connection_budget(found: list[Placement], workers: int) -> None:
    by_server: dict[str, list[Budget]] = defaultdict(list)
    for budget in budgets(found, workers):
        config = budget.adapter.config
        replicas = f", and as many on each of its {len(config.READ_REPLICAS)} read replicas" * bool(
            config.READ_REPLICAS
        )
        logger.info(
            "database %s: up to %d connections: %d worker(s) x (POOL_SIZE %d + MAX_OVERFLOW %d)%s",
            budget.name,
            budget.connections,
            workers,
            config.POOL_SIZE,
            config.MAX_OVERFLOW,
            replicas,
        )
        by_server[budget.server].append(budget)
    for server, shared in by_server.items():
        await _check_limit(server, shared)


async def _check_limit(server: str, shared: list[Budget]) -> None:
    adapter = shared[0].adapter
    query = _LIMIT_QUERIES.get(adapter.config.DB_TYPE)
    scalar = getattr(getattr(adapter, "primary", adapter), "scalar", None)
    if query is None or scalar is None:
        return
    try:
        limit = int(await scalar(query))
    except DomainError:  # unreachable now: the adapter says so, and the limit goes unchecked
        return
    total = sum(budget.connections for budget in shared)
    listed = ", ".join(f"{budget.name} {budget.connections}" for budget in shared)
    if total <= SHARE * limit:
        logger.info("%s: up to %d connections (%s) of its max_connections %d", server, total, listed, limit)
    else:
        logger.warning(
            "%s: the service may open %d connections (%s), over %d%% of the server's max_connections %d; "
            "lower WORKERS, POOL_SIZE or MAX_OVERFLOW, or raise max_connections",
            server,
            total,
            listed,
            round(SHARE * 100),
            limit,
        )
