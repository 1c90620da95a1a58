"""/health/live and /health/ready, the probes an orchestrator or a load balancer asks:
live while the process answers, ready only while every required database answers at
schema head; public with API keys on, and saying nothing about which databases exist."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from app.models.products import PRODUCTS
from tests.support.ports import free_port
from tests.support.service import container, serve, settings

KEY = "probe-key-0123456789abcdef"


def unreachable(**extra: Any) -> dict[str, Any]:
    """A PostgreSQL database on a port nothing listens on."""
    url = f"postgresql://app:pw@127.0.0.1:{free_port()}/nowhere"
    return {"DB_TYPE": "postgres", "CONNECTION_STRING": url, "CONNECT_TIMEOUT": 0.5, **extra}


async def test_live_and_ready_while_every_database_answers_at_head() -> None:
    async with serve(container(settings(DB_TYPE="memory"))) as client:
        live, ready = await client.get("/health/live"), await client.get("/health/ready")
    assert (live.status_code, live.json()) == (200, {"status": "live"})
    assert (ready.status_code, ready.json()) == (200, {"status": "ready"})


async def test_a_required_database_down_is_not_ready_yet_live() -> None:
    config = settings(DB_TYPE="memory", HEALTH_TIMEOUT=1, DATABASES={"products_db": unreachable()})
    async with serve(container(config)) as client:
        live, ready = await client.get("/health/live"), await client.get("/health/ready")
    assert live.status_code == 200
    assert (ready.status_code, ready.json()) == (503, {"status": "not_ready"})
    assert ready.headers["retry-after"] == "5"


async def test_an_optional_database_down_leaves_the_service_ready() -> None:
    config = settings(DB_TYPE="memory", DATABASES={"products_db": unreachable(REQUIRED=False)})
    async with serve(container(config)) as client:
        assert (await client.get("/health/ready")).status_code == 200


async def test_a_schema_behind_head_is_not_ready_until_upgraded(tmp_path: Path) -> None:
    products_db = {"DB_TYPE": "sqlite", "DB_NAME": str(tmp_path / "products.db"), "AUTO_MIGRATE": False}
    built = container(settings(DB_TYPE="memory", DATABASES={"products_db": products_db}))
    async with serve(built) as client:
        # /health calls a database behind head ready (it serves what it can); a probe does not.
        assert (await client.get("/health")).status_code == 200
        assert (await client.get("/health/ready")).status_code == 503

        adapter = built.databases.products_db()
        await adapter.migrations.upgrade([PRODUCTS])  # what `db upgrade` does
        adapter._schema_checked_at = 0.0  # as if the re-check interval passed
        # The probe itself looks again: an instance that is not ready gets no request that would.
        assert (await client.get("/health/ready")).status_code == 200


async def test_with_api_keys_the_probes_need_none_and_name_no_database() -> None:
    config = settings(DB_TYPE="memory", API_KEYS=KEY, DATABASES={"products_db": unreachable()})
    async with serve(container(config)) as client:
        assert (await client.get("/products")).status_code == 401
        live, ready = await client.get("/health/live"), await client.get("/health/ready")
        document = (await client.get("/openapi.json", headers={"Authorization": f"Bearer {KEY}"})).json()
    assert live.status_code == 200
    assert ready.status_code == 503
    assert "products_db" not in ready.text
    assert "postgres" not in ready.text
    for path in ("/health/live", "/health/ready"):
        assert document["paths"][path]["get"]["security"] == [{}, {"bearerAuth": []}]
