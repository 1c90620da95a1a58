"""The per-request values kept without a lock (app.observability.local): a scrape shows
what prometheus-client would have shown had each value been recorded in it directly."""

from __future__ import annotations

import asyncio

from app.observability.http import HttpRecorder
from app.observability.metrics import Metrics
from app.observability.recorder import DatabaseRecorder

# Sums of these are exact in binary: the two ways add them in different orders.
SECONDS = (0.0001220703125, 0.25, 0.25, 0.005, 3.0, 40.0, 0.0009765625)


def test_a_scrape_shows_the_local_values_as_if_recorded_in_prometheus_client() -> None:
    local, direct = Metrics(), Metrics()
    http = HttpRecorder(local)
    database = DatabaseRecorder(local, "products_db", "postgres")
    for seconds in SECONDS:
        method = http.started("GET")
        database.record("get", "ok", seconds)
        http.finished(method, "/products/{id}", 200, seconds)
        direct.http_active.labels("GET").inc()
        direct.operation.labels("products_db", "postgres", "get", "ok").observe(seconds)
        direct.http_duration.labels("GET", "/products/{id}", 200).observe(seconds)
        direct.http_active.labels("GET").dec()
    http.started("POST")  # one in flight at the scrape
    direct.http_active.labels("POST").inc()
    database.record("insert", "conflict", 0.5)
    direct.operation.labels("products_db", "postgres", "insert", "conflict").observe(0.5)
    direct.errors.labels("products_db", "postgres", "conflict").inc()
    direct.up.labels("products_db", "postgres").set(1)
    assert _without_created(local.render()) == _without_created(direct.render())
    # Flushed once: nothing counted twice.
    assert _without_created(local.render()) == _without_created(direct.render())


def _without_created(text: bytes) -> list[bytes]:
    """The exposition but each series' creation time (the two Metrics made theirs apart)."""
    return [line for line in text.splitlines() if b"_created{" not in line]


def test_flush_soon_writes_the_values_once_the_loop_turns() -> None:
    metrics = Metrics()
    http = HttpRecorder(metrics)

    def count() -> float | None:
        labels = {"method": "GET", "route": "/x", "status": "200"}
        return metrics.registry.get_sample_value("http_server_request_duration_seconds_count", labels)

    async def serve() -> tuple[float | None, float | None]:
        http.finished(http.started("GET"), "/x", 200, 0.001)
        http.finished(http.started("GET"), "/x", 200, 0.002)
        metrics.local.flush_soon()
        metrics.local.flush_soon()  # one flush for both
        before = count()
        await asyncio.sleep(0)
        return before, count()

    assert asyncio.run(serve()) == (0.0, 2.0)
