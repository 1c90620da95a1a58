"""The service's Prometheus metrics, in one registry per container.

With several worker processes (PROMETHEUS_MULTIPROC_DIR set, see multiprocess.py) every
value is written to that directory by the process that measured it, and `render()` adds
up the files of all of them: the numbers are the service's, not one worker's. Each gauge
says how the workers' values combine.

The values recorded per request are kept apart, without a lock, and flushed into these
(local.py): before each scrape, and with several workers after each request and every
FLUSH_SECONDS.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager, suppress

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.multiprocess import MultiProcessCollector

from app.observability.local import LocalValues
from app.observability.multiprocess import shared_directory

# Database calls take well under a millisecond to QUERY_TIMEOUT (30 s at most by default).
DB_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0)
DATABASE = ("database", "type")
# How old another worker's values may be in a scrape.
FLUSH_SECONDS = 1.0


class Metrics:
    def __init__(self) -> None:
        self.registry = registry = CollectorRegistry(auto_describe=True)
        self.local = LocalValues()
        self.shared = shared_directory() is not None  # with other workers (multiprocess.py)
        self.http_duration = Histogram(
            "http_server_request_duration_seconds",
            "HTTP requests by method, route template and status, and how long each took",
            ("method", "route", "status"),
            registry=registry,
            buckets=(0.005, 0.01, 0.025, 0.05, 0.075, 0.1, 0.25, 0.5, 0.75, 1.0, 2.5, 5.0, 7.5, 10.0),
        )
        self.http_active = Gauge(
            "http_server_active_requests",
            "HTTP requests being served now",
            ("method",),
            registry=registry,
            multiprocess_mode="livesum",
        )
        self.operation = Histogram(
            "multidb_db_operation_duration_seconds",
            "Database operations by named database, operation and outcome, and how long each took",
            (*DATABASE, "operation", "outcome"),
            registry=registry,
            buckets=DB_BUCKETS,
        )
        self.errors = Counter(
            "multidb_db_errors",
            "Database operations that failed, by kind (conflict, unavailable, timeout, error)",
            (*DATABASE, "kind"),
            registry=registry,
        )
        self.up = Gauge(
            "multidb_db_up",
            "1 while the database answers, 0 while it does not (its last operation or ping)",
            DATABASE,
            registry=registry,
            multiprocess_mode="livemostrecent",
        )
        self.member_up = Gauge(
            "multidb_db_member_up",
            "Each member of a sharded or tenant-selected database: 1 while it answers, else 0",
            (*DATABASE, "member"),
            registry=registry,
            multiprocess_mode="livemostrecent",
        )
        pool = (*DATABASE,)
        self.pool_size = Gauge(
            "multidb_db_pool_size", "Connections the pool keeps (POOL_SIZE)", pool, registry=registry,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.pool_checked_out = Gauge(
            "multidb_db_pool_checked_out", "Connections out of the pool now", pool, registry=registry,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.pool_overflow = Gauge(
            "multidb_db_pool_overflow", "Connections out beyond POOL_SIZE (MAX_OVERFLOW in use)", pool,
            registry=registry, multiprocess_mode="livesum",
        )  # fmt: skip
        self.pool_waiting = Gauge(
            "multidb_db_pool_waiting", "Requests waiting for a connection now", pool, registry=registry,
            multiprocess_mode="livesum",
        )  # fmt: skip
        self.replica_lag = Gauge(
            "multidb_db_replica_lag_seconds",
            "How far each read replica is behind its primary (NaN while it cannot be measured)",
            (*DATABASE, "replica"),
            registry=registry,
            multiprocess_mode="livemax",
        )
        self.replica_in_rotation = Gauge(
            "multidb_db_replica_in_rotation",
            "1 while reads may go to the replica, 0 while it is lagging or down",
            (*DATABASE, "replica"),
            registry=registry,
            multiprocess_mode="livemin",
        )

    def render(self) -> bytes:
        """The Prometheus text format: of every worker when they share a directory."""
        self.local.flush()
        directory = shared_directory()
        if directory is None:
            return generate_latest(self.registry)
        registry = CollectorRegistry()
        MultiProcessCollector(registry, str(directory))  # type: ignore[no-untyped-call]
        return generate_latest(registry)

    @asynccontextmanager
    async def flushed(self) -> AsyncIterator[None]:
        """While the worker serves: with several workers, its local values flushed into the
        shared files every FLUSH_SECONDS (what no request flushed: a background ping), and
        once more when it stops (another worker's scrape reads only the files). One process
        needs neither: render() flushes."""
        if not self.shared:
            yield
            return

        async def flush() -> None:
            while True:
                await asyncio.sleep(FLUSH_SECONDS)
                self.local.flush()

        task = asyncio.create_task(flush(), name="metrics flushing")
        try:
            yield
        finally:
            task.cancel()
            with suppress(asyncio.CancelledError):
                await task
            self.local.flush()
