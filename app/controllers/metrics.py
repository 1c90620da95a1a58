from __future__ import annotations

from collections.abc import Mapping
from pkgutil import resolve_name
from typing import TYPE_CHECKING

from app.adapters.interface import DatabaseAdapter
from app.adapters.observed import Observer
from settings import Settings

if TYPE_CHECKING:
    from app.observability.metrics import Metrics

# prometheus-client, and what it imports (http.server, urllib.request, ...), is imported
# only with METRICS on: 1.7 MiB of a serving process (bench/README.md, "Issue 11: memory").
METRICS = "app.observability.metrics:Metrics"


def metrics_if_on(settings: Settings) -> Metrics | None:
    if not settings.METRICS:
        return None
    metrics: type[Metrics] = resolve_name(METRICS)
    return metrics()


class MetricsController:
    """/metrics: pools, replicas and members sampled now, then every metric of the service."""

    def __init__(self, observer: Observer, adapters: Mapping[str, DatabaseAdapter]) -> None:
        self._observer = observer
        self._adapters = adapters

    def render(self) -> bytes | None:
        """The Prometheus text format; None with METRICS=false."""
        if self._observer.metrics is None:
            return None
        self._observer.sample(self._adapters)
        return self._observer.metrics.render()
