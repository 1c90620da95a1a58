"""What HTTP metrics cost per request, each way of recording them, on a one-route FastAPI app
called in process (no server, no database: the instrumentation's own CPU time).

    PYTHONPATH=. .venv/bin/python -m bench.telemetry_cost

- off: no HTTP metrics;
- native + SDK: FastAPI's native telemetry (`FastAPI(telemetry=...)`) with the OpenTelemetry
  SDK's MeterProvider (what the Prometheus exporter reads from);
- native + prometheus-client: FastAPI's native telemetry, its meter writing into
  prometheus-client (an OpenTelemetry API meter of a few lines, below);
- middlewares: the service's own, since recorded by its request id layer
  (app.api.request_ids, app.observability.http), kept without a lock and handed to
  prometheus-client at each scrape (app.observability.local).

Every mode has the request id layer, which the service always has (with its access line
off, at the default WARNING of this process): what differs is the HTTP metrics alone.

Each in a process of its own, the best of 15 rounds of 5,000 requests, CPU time per request.
Then what measuring one database operation adds (app/adapters/observed.py), on an operation
that does nothing: a read, and a write inside its unit of work (POST /products).
"""

from __future__ import annotations

import asyncio
import subprocess
import sys
import time
from collections.abc import Mapping
from typing import Any

MODES = ("off", "native + SDK", "native + prometheus-client", "middlewares")
ROUNDS, REQUESTS = 15, 5_000


def _app(mode: str) -> Any:
    from fastapi import FastAPI

    from app.api.request_ids import install_request_ids
    from app.observability.metrics import Metrics

    metrics = Metrics()
    telemetry: dict[str, Any] = {"tracing": False, "logs": False, "metrics": False, "operation_spans": False}
    if mode == "native + SDK":
        from opentelemetry.sdk.metrics import MeterProvider
        from opentelemetry.sdk.metrics.export import InMemoryMetricReader

        telemetry |= {
            "metrics": True,
            "meter_provider": MeterProvider(metric_readers=[InMemoryMetricReader()]),
        }
    elif mode == "native + prometheus-client":
        telemetry |= {"metrics": True, "meter_provider": _bridge(metrics)}
    app = FastAPI(telemetry=telemetry)  # type: ignore[arg-type]

    @app.get("/products/{id}")
    async def get(id: str) -> dict[str, str]:
        return {"id": id}

    install_request_ids(app, metrics if mode == "middlewares" else None)
    return app


def _bridge(metrics: Any) -> Any:
    from opentelemetry.metrics import MeterProvider, NoOpHistogram, NoOpMeter, NoOpUpDownCounter

    class Duration(NoOpHistogram):
        def record(
            self, amount: float, attributes: Mapping[str, Any] | None = None, context: Any = None
        ) -> None:
            a = attributes or {}
            key = (
                a.get("http.request.method", ""),
                a.get("http.route", ""),
                a.get("http.response.status_code", ""),
            )
            metrics.http_duration.labels(*key).observe(amount)

    class Active(NoOpUpDownCounter):
        def add(
            self, amount: float, attributes: Mapping[str, Any] | None = None, context: Any = None
        ) -> None:
            metrics.http_active.labels((attributes or {}).get("http.request.method", "")).inc(amount)

    class Meter(NoOpMeter):
        def create_histogram(self, name: str, *args: Any, **kwargs: Any) -> Any:
            return Duration(name)

        def create_up_down_counter(self, name: str, *args: Any, **kwargs: Any) -> Any:
            return Active(name)

    class Provider(MeterProvider):  # not a NoOpMeterProvider, which FastAPI skips
        def get_meter(self, name: str, *args: Any, **kwargs: Any) -> Any:
            return Meter(name)

    return Provider()


async def _measure(mode: str) -> float:
    app = _app(mode)
    scope = {"type": "http", "method": "GET", "path": "/products/abc", "raw_path": b"/products/abc",
             "query_string": b"", "headers": [], "http_version": "1.1", "scheme": "http",
             "server": ("localhost", 80), "root_path": ""}  # fmt: skip

    async def receive() -> dict[str, Any]:
        return {"type": "http.request", "body": b""}

    async def send(message: Any) -> None:
        pass

    for _ in range(2_000):
        await app(dict(scope), receive, send)
    best = float("inf")
    for _ in range(ROUNDS):
        started = time.process_time()
        for _ in range(REQUESTS):
            await app(dict(scope), receive, send)
        best = min(best, (time.process_time() - started) / REQUESTS * 1e6)
    return best


async def _operations() -> tuple[float, float]:
    """CPU µs a measured read and a measured write in its unit of work add to plain ones."""
    from contextvars import ContextVar

    from app.adapters.observed import _measured, _unit_of_work
    from app.observability.metrics import Metrics
    from app.observability.recorder import DatabaseRecorder

    recorder = DatabaseRecorder(Metrics(), "products_db", "postgres")

    async def operation() -> None:
        pass

    async def atomically(work: Any) -> Any:
        return await work()

    read = _measured(operation, "get", recorder, None)
    unit = _unit_of_work(
        _measured(atomically, "transaction", recorder, None), atomically, ContextVar("u", default=False)
    )

    async def plain_write() -> None:
        await atomically(operation)

    async def write() -> None:
        await unit(lambda: _measured(operation, "insert", recorder, None)())

    async def best(call: Any) -> float:
        fastest = float("inf")
        for _ in range(ROUNDS):
            started = time.process_time()
            for _ in range(REQUESTS * 4):
                await call()
            fastest = min(fastest, (time.process_time() - started) / (REQUESTS * 4) * 1e6)
        return fastest

    return await best(read) - await best(operation), await best(write) - await best(plain_write)


def main() -> None:
    if len(sys.argv) > 1:
        print(asyncio.run(_measure(sys.argv[1])))
        return
    print("| HTTP metrics | CPU µs per request | over off |\n|---|---:|---:|")
    results = {}
    for mode in MODES:
        done = subprocess.run(
            [sys.executable, "-m", "bench.telemetry_cost", mode], capture_output=True, text=True, check=True
        )
        results[mode] = float(done.stdout)
    for mode, micros in results.items():
        print(f"| {mode} | {micros:.1f} | {micros - results['off']:+.1f} |")
    read, write = asyncio.run(_operations())
    print(f"\n| database operation, measured | CPU µs added |\n|---|---:|\n| a read | {read:+.1f} |")
    print(f"| a write in its unit of work (two measured) | {write:+.1f} |")


if __name__ == "__main__":
    main()
