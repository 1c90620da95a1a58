"""Traces (the `otel` extra), with the SDK's in-memory exporter in place of OTLP: one
request is one trace, FastAPI's server span with a client span for each database
operation under it, on each of the three real databases an expansion touches."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any
from uuid import uuid4

import pytest
from dependency_injector import providers
from opentelemetry.sdk.trace import TracerProvider
from opentelemetry.sdk.trace.export import SimpleSpanProcessor
from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter
from opentelemetry.trace import SpanKind

from app.api.http_metrics import telemetry
from app.observability.tracing import exporting_tracer_provider
from tests.contract.helpers import create
from tests.support import backends
from tests.support.service import container, serve, settings


@pytest.fixture
def exporter() -> Iterator[InMemorySpanExporter]:
    exporter = InMemorySpanExporter()
    yield exporter
    exporter.shutdown()


async def test_an_expansion_is_one_trace_with_a_span_on_each_database(
    postgres_url: str, mysql_url: str, mongodb_url: str, exporter: InMemorySpanExporter
) -> None:
    events_url, products_url = (
        backends.sibling(postgres_url, "tracing"),
        backends.sibling(mysql_url, "tracing"),
    )
    await backends.recreate_postgres_database(events_url)
    await backends.recreate_mysql_database(products_url)
    databases = {
        "users_db": {
            "DB_TYPE": "mongodb",
            "CONNECTION_STRING": mongodb_url,
            "DB_NAME": f"tracing_{uuid4().hex[:8]}",
        },
        "products_db": {"DB_TYPE": "mysql", "CONNECTION_STRING": products_url},
        "analytics_db": {"DB_TYPE": "postgres", "CONNECTION_STRING": events_url},
    }
    built = container(settings(DB_TYPE="memory", DATABASES=databases))
    provider = TracerProvider()
    provider.add_span_processor(SimpleSpanProcessor(exporter))
    built.tracer_provider.override(providers.Object(provider))
    async with serve(built) as client:
        user = await create(client, "/users", email="t@example.com", name="T")
        product = await create(client, "/products", sku="t-1", name="T", price="1.00")
        await create(client, "/events", type="view", user_id=user["id"], product_id=product["id"])
        exporter.clear()
        response = await client.get("/events", params={"expand": "user,product"})
        assert response.status_code == 200
        assert response.json()["items"][0]["user"]["id"] == user["id"]
    spans = exporter.get_finished_spans()
    (server,) = [span for span in spans if span.kind == SpanKind.SERVER]
    assert server.attributes is not None
    assert server.attributes["http.route"] == "/events"
    database_spans = [span for span in spans if span.kind == SpanKind.CLIENT]
    assert {span.context.trace_id for span in spans} == {server.context.trace_id}
    for span in database_spans:
        assert span.parent is not None
        assert span.parent.span_id == server.context.span_id
    touched = {_attributes(span)["multidb.database"]: _attributes(span) for span in database_spans}
    assert set(touched) == {"analytics_db", "users_db", "products_db"}
    assert touched["analytics_db"]["db.system"] == "postgresql"
    assert touched["products_db"]["db.system"] == "mysql"
    assert touched["users_db"]["db.system"] == "mongodb"
    operations = {
        (_attributes(span)["multidb.database"], _attributes(span)["db.operation"]) for span in database_spans
    }
    assert operations == {("analytics_db", "list"), ("users_db", "get_many"), ("products_db", "get_many")}
    assert all(_attributes(span)["multidb.outcome"] == "ok" for span in database_spans)


def _attributes(span: Any) -> dict[str, Any]:
    return dict(span.attributes or {})


def test_tracing_is_off_without_an_endpoint() -> None:
    assert exporting_tracer_provider(None) is None
    config = telemetry(None)
    assert config["tracing"] is False
    assert config["metrics"] is False
    assert config["logs"] is False


def test_an_endpoint_exports_by_otlp(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("OTEL_EXPORTER_OTLP_ENDPOINT", "http://127.0.0.1:4318")
    provider = exporting_tracer_provider("http://127.0.0.1:4318")
    assert isinstance(provider, TracerProvider)
    provider.shutdown()
