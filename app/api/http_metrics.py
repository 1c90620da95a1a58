"""HTTP metrics: requests by method, route template and status, their latency, and the
requests in flight, recorded in prometheus-client (app/observability/metrics.py).

Not FastAPI's native `telemetry` metrics: measured on this service, they cost about three
times as much per request as these two small middlewares (README "Operating it"), and
their OpenTelemetry meter keeps its values per process. FastAPI's telemetry still makes
the request spans when tracing is on (app/observability/tracing.py).

The route template is known only once the router has matched, on the copy of the scope
that reaches it (middlewares between pass copies on): `RouteTemplate`, innermost, hands
it out through a holder that `HttpMetricsMiddleware`, outermost, put in the scope.
"""

from __future__ import annotations

import time
from typing import TYPE_CHECKING, Any

from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import TracerProvider
from starlette.types import ASGIApp, Message, Receive, Scope, Send

if TYPE_CHECKING:
    from app.observability.metrics import Metrics  # prometheus-client: imported with METRICS on only


HOLDER = "multidb.route_template"
KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpMetricsMiddleware:
    """Outermost: every answer is counted, refusals (401, 413, ...) included."""

    def __init__(self, app: ASGIApp, metrics: Metrics) -> None:
        self.app = app
        self._duration = metrics.http_duration
        self._active = metrics.http_active
        self._series: dict[tuple[str, str, int], Any] = {}  # label lookups, once per series
        self._in_flight: dict[str, Any] = {}

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"] if scope["method"] in KNOWN_METHODS else "_OTHER"
        active = self._in_flight.get(method)
        if active is None:
            active = self._in_flight[method] = self._active.labels(method)
        route = [""]  # a path no route matched stays ""
        scope[HOLDER] = route
        status = 500  # no answer started: the server's error handler answers 500

        async def send_noting_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        active.inc()
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send_noting_status)
        finally:
            elapsed = time.perf_counter() - started
            active.dec()
            key = (method, route[0], status)
            series = self._series.get(key)
            if series is None:
                series = self._series[key] = self._duration.labels(*key)
            series.observe(elapsed)


class RouteTemplate:
    """Innermost: after the router has answered, the template of the route it chose."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        finally:
            holder = scope.get(HOLDER)
            route = scope.get("route")
            if holder is not None and route is not None:
                holder[0] = getattr(route, "path_format", None) or getattr(route, "path", "")


def telemetry(tracer_provider: TracerProvider | None) -> TelemetryConfig:
    """FastAPI's native telemetry: its request spans when tracing is on, else nothing at all
    (its metrics and log events are never on: the metrics are the middlewares above)."""
    return {
        "tracing": tracer_provider is not None,
        "tracer_provider": tracer_provider,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
    }
