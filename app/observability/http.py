"""HTTP metrics: requests by method, route template and status, their latency, and the
requests in flight, kept without a lock (local.py) for prometheus-client (metrics.py),
recorded by the layer that serves every request its id and writes its access line
(app.api.request_ids), outermost: every answer is counted, refusals (401, 413, ...) and
500s included.

Not FastAPI's native `telemetry` metrics: measured on this service, they cost several
times as much per request (bench/results/observability/telemetry-cost.md), and their
OpenTelemetry meter keeps its values per process.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.observability.local import LocalGauge, LocalHistogram
    from app.observability.metrics import Metrics  # prometheus-client: imported with METRICS on only

KNOWN_METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})


class HttpRecorder:
    """Each series looked up once (a label lookup costs more than the observation itself),
    and recorded without a lock (local.py)."""

    def __init__(self, metrics: Metrics) -> None:
        self._duration = metrics.http_duration
        self._active = metrics.http_active
        self._local = metrics.local
        self._series: dict[tuple[str, str, int], LocalHistogram] = {}
        self._in_flight: dict[str, LocalGauge] = {}
        # With several workers, flushed after each request for the others' scrapes.
        self._flush_soon = metrics.local.flush_soon if metrics.shared else None

    def started(self, method: str) -> str:
        """Counts the request in flight; the method as it is labelled."""
        method = method if method in KNOWN_METHODS else "_OTHER"
        active = self._in_flight.get(method)
        if active is None:
            active = self._in_flight[method] = self._local.gauge(self._active.labels(method))
        active.value += 1
        return method

    def finished(self, method: str, route: str | None, status: int, seconds: float) -> None:
        """`method` as `started` answered it; `route` None where no route matched."""
        self._in_flight[method].value -= 1
        key = (method, route or "", status)
        series = self._series.get(key)
        if series is None:
            series = self._series[key] = self._local.histogram(self._duration.labels(*key))
        series.observe(seconds)
        if self._flush_soon is not None:
            self._flush_soon()
