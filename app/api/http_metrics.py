"""FastAPI's native telemetry, for its request spans only. The HTTP metrics are recorded
by the request id layer (app.api.request_ids, app.observability.http), which costs a
fraction of what FastAPI's native metrics do per request (README "Operating it").
"""

from __future__ import annotations

from fastapi.telemetry import TelemetryConfig
from opentelemetry.trace import TracerProvider


def telemetry(tracer_provider: TracerProvider | None) -> TelemetryConfig:
    """FastAPI's native telemetry: its request spans when tracing is on, else nothing at all
    (its metrics and log events are never on: app.observability.http records the metrics)."""
    return {
        "tracing": tracer_provider is not None,
        "tracer_provider": tracer_provider,
        "metrics": False,
        "logs": False,
        "operation_spans": False,
        "auto_configure": False,
    }
