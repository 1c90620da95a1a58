"""products_db's table is dropped while the service runs: its routes answer 503 naming
the command that brings the schema back, /health says schema_behind, and an ?expand= of
products from events degrades to X-Expand-Failed instead of failing."""

from __future__ import annotations

from pathlib import Path

import asyncpg
from sqlalchemy import make_url

from tests.contract.helpers import problem
from tests.support import backends
from tests.support.service import container, serve, settings


async def test_a_table_dropped_under_the_service_is_schema_behind_not_a_500(
    postgres_url: str, tmp_path: Path
) -> None:
    url = backends.sibling(postgres_url, "dropped")
    await backends.recreate_postgres_database(url)
    config = settings(
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        DATABASES={"products_db": {"DB_TYPE": "postgres", "CONNECTION_STRING": url}},
    )
    async with serve(container(config)) as client:
        product = (await client.post("/products", json={"sku": "d-1", "name": "D", "price": "1.00"})).json()
        event = (await client.post("/events", json={"type": "t", "product_id": product["id"]})).json()
        parsed = make_url(url)
        connection = await asyncpg.connect(
            host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
        )
        try:
            await connection.execute("DROP TABLE products")
        finally:
            await connection.close()

        for answer in (
            await client.get(f"/products/{product['id']}"),
            await client.get("/products"),
            await client.post("/products", json={"sku": "d-2", "name": "D", "price": "1.00"}),
        ):
            body = problem(answer, 503)
            assert answer.headers["retry-after"]
            assert "python -m app db upgrade --database products_db" in body["detail"], body
        expanded = await client.get(f"/events/{event['id']}", params={"expand": "product"})
        assert expanded.status_code == 200, expanded.text
        assert expanded.headers["x-expand-failed"] == "product"
        assert expanded.json()["product"] is None
        health = (await client.get("/health")).json()["databases"]["products_db"]
        assert health["status"] == "schema_behind", health
        assert "db upgrade --database products_db" in health["reason"]
