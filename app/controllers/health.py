from __future__ import annotations

import asyncio
import time
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

from app.adapters.interface import DatabaseAdapter, Store
from settings import Settings


class ReplicaHealth(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"name": "products_db replica 1", "status": "up", "lag_ms": 0.0}]}
    )

    name: str
    status: Literal["up", "lagging", "down"]
    lag_ms: float | None  # None while it cannot be measured


class DatabaseHealth(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={"examples": [{"type": "postgres", "status": "up", "latency_ms": 1.7}]}
    )

    type: str
    status: Literal["up", "down", "schema_behind"]
    latency_ms: float
    # Why it is not up, in plain words ("authentication failed for user 'x'", "database 'x'
    # does not exist", "connection refused", the command that brings a schema to head).
    reason: str | None = Field(default=None, exclude_if=lambda value: value is None)
    replicas: list[ReplicaHealth] | None = Field(default=None, exclude_if=lambda value: value is None)


class HealthReport(BaseModel):
    model_config = ConfigDict(
        json_schema_extra={
            "examples": [
                {
                    "status": "degraded",
                    "databases": {
                        "default": {"type": "sqlite", "status": "up", "latency_ms": 0.4},
                        "products_db": {"type": "postgres", "status": "down", "latency_ms": 2.1},
                        "users_db": {"type": "mongodb", "status": "up", "latency_ms": 1.3},
                    },
                }
            ]
        }
    )

    status: Literal["ok", "degraded"]
    databases: dict[str, DatabaseHealth] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Each database's state; with API keys on, only for a request with a key.",
    )
    ready: bool = Field(exclude=True)  # every REQUIRED database is up: 200, else 503


class HealthController:
    """Pings every named database at once, each bounded by HEALTH_TIMEOUT, so that the
    answer comes within about that timeout even when several databases hang."""

    def __init__(self, adapters: dict[str, DatabaseAdapter], settings: Settings) -> None:
        self._adapters = adapters
        self._timeout = settings.HEALTH_TIMEOUT

    async def check(self) -> HealthReport:
        # A composite (shards, tenants) is reported through its members, each a named
        # database of its own.
        adapters = {name: adapter for name, adapter in self._adapters.items() if isinstance(adapter, Store)}
        distinct = {id(adapter): adapter for adapter in adapters.values()}
        results = await asyncio.gather(*(self._ping(adapter) for adapter in distinct.values()))
        by_adapter = dict(zip(distinct, results, strict=True))
        report = {name: by_adapter[id(adapter)] for name, adapter in adapters.items()}
        # A database whose schema is behind still serves what it can: it is ready.
        ready = all(
            health.status != "down" or not adapters[name].config.REQUIRED for name, health in report.items()
        )
        everything_up = all(health.status == "up" for health in report.values())
        return HealthReport(status="ok" if everything_up else "degraded", databases=report, ready=ready)

    async def _ping(self, adapter: Store) -> DatabaseHealth:
        started = time.perf_counter()
        reason = None
        try:
            async with asyncio.timeout(self._timeout):
                await adapter.ping()
            status: Literal["up", "down", "schema_behind"] = (
                "schema_behind" if adapter.schema == "behind" else "up"
            )
            if status == "schema_behind":
                reason = f"schema behind head; run `python -m app db upgrade --database {adapter.name}`"
        except TimeoutError:
            last = f" (last failure: {adapter.failure})" if adapter.failure else ""
            status, reason = "down", f"no answer within HEALTH_TIMEOUT={self._timeout:g}s{last}"
        except Exception:  # any failure to answer is "down"; the adapter logged why
            status, reason = "down", adapter.failure or "unavailable"
        latency = round((time.perf_counter() - started) * 1000, 2)
        replicas = None
        if (states := adapter.replica_health()) is not None:
            replicas = [ReplicaHealth(name=name, status=state, lag_ms=lag) for name, state, lag in states]
        return DatabaseHealth(
            type=adapter.config.DB_TYPE, status=status, latency_ms=latency, reason=reason, replicas=replicas
        )
