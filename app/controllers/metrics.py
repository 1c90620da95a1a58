from __future__ import annotations

from collections.abc import Mapping

from app.adapters.interface import DatabaseAdapter
from app.adapters.observed import Observer
from app.observability.metrics import Metrics
from settings import Settings


def metrics_if_on(settings: Settings) -> Metrics | None:
    return Metrics() if settings.METRICS else None


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
