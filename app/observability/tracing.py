"""Traces, with the optional `otel` extra: FastAPI's own request spans (its native
`telemetry`), and a client span for each database operation, one trace per request.

On when OTEL_EXPORTER_OTLP_ENDPOINT is set: spans go there by OTLP (HTTP/protobuf), in
batches. Off otherwise, at no cost: no span is made and no operation is wrapped for it.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from typing import TYPE_CHECKING

from opentelemetry.trace import SpanKind, Status, StatusCode, Tracer, TracerProvider

if TYPE_CHECKING:
    from opentelemetry.trace import Span

INSTALL = "pip install -e '.[otel]'"
# OpenTelemetry's db.system for each DB_TYPE, where it differs.
DB_SYSTEMS = {"postgres": "postgresql", "sqlserver": "microsoft.sql_server", "mysql": "mysql"}


def exporting_tracer_provider(endpoint: str | None) -> TracerProvider | None:
    """An SDK TracerProvider exporting to `endpoint` by OTLP; None without an endpoint."""
    if not endpoint:
        return None
    try:  # the otel extra, loaded only when tracing is on
        from opentelemetry.exporter.otlp.proto.http.trace_exporter import OTLPSpanExporter
        from opentelemetry.sdk.resources import Resource
        from opentelemetry.sdk.trace import TracerProvider as SdkTracerProvider
        from opentelemetry.sdk.trace.export import BatchSpanProcessor
    except ImportError:
        raise RuntimeError(
            f"OTEL_EXPORTER_OTLP_ENDPOINT is set: tracing needs the otel extra: {INSTALL}"
        ) from None
    provider = SdkTracerProvider(resource=Resource.create({"service.name": "multidb"}))
    # The exporter reads OTEL_EXPORTER_OTLP_ENDPOINT (and _HEADERS, ...) itself.
    provider.add_span_processor(BatchSpanProcessor(OTLPSpanExporter()))
    return provider


class DatabaseSpans:
    """The client spans of one database's operations."""

    def __init__(self, tracer: Tracer, database: str, db_type: str, db_name: str | None) -> None:
        self._tracer = tracer
        self._database = database
        self._attributes = {
            "db.system": DB_SYSTEMS.get(db_type, db_type),
            "db.name": db_name or "",
            "multidb.database": database,
        }

    @contextmanager
    def span(self, operation: str) -> Iterator[Span]:
        attributes = {**self._attributes, "db.operation": operation}
        with self._tracer.start_as_current_span(
            f"{operation} {self._database}",
            kind=SpanKind.CLIENT,
            attributes=attributes,
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            yield span

    @staticmethod
    def ended(span: Span, outcome: str | None) -> None:
        if outcome is not None:
            span.set_attribute("multidb.outcome", outcome)
        if outcome in ("unavailable", "timeout", "error"):
            span.set_status(Status(StatusCode.ERROR))
