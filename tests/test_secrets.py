"""A distinctive password, a database that fails, and every answer and log line of the
real process searched for it."""

from __future__ import annotations

import json
from pathlib import Path

import httpx
import pytest
from sqlalchemy import make_url

from tests.support.ports import free_port
from tests.support.process import Service, service_environment

SECRET = "Sup3r-S3cret-Zq9xW"
API_KEY = "Api-K3y-Qw8zT-0123456789"  # a key is a secret like a password


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_failing_database_leaks_no_password(tmp_path: Path, mysql_url: str, log_format: str) -> None:
    closed = free_port()  # nothing listens there
    mysql = make_url(mysql_url)
    env = service_environment(
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        # Refused: nothing listens on the port.
        DATABASES__products_db__DB_TYPE="postgres",
        DATABASES__products_db__DB_HOST="127.0.0.1",
        DATABASES__products_db__DB_PORT=str(closed),
        DATABASES__products_db__DB_USER="app",
        DATABASES__products_db__DB_PASSWORD=SECRET,
        DATABASES__products_db__DB_NAME="products",
        DATABASES__products_db__CONNECT_TIMEOUT="1",
        # The password inside a connection string.
        DATABASES__users_db__DB_TYPE="mongodb",
        DATABASES__users_db__CONNECTION_STRING=f"mongodb://app:{SECRET}@127.0.0.1:{closed}/users",
        DATABASES__users_db__CONNECT_TIMEOUT="1",
        # A real server that refuses the password.
        DATABASES__analytics_db__DB_TYPE="mysql",
        DATABASES__analytics_db__DB_HOST=mysql.host or "127.0.0.1",
        DATABASES__analytics_db__DB_PORT=str(mysql.port or 3306),
        DATABASES__analytics_db__DB_USER="multidb_nobody",
        DATABASES__analytics_db__DB_PASSWORD=SECRET,
        DATABASES__analytics_db__DB_NAME="analytics",
        LOG_LEVEL="DEBUG",
        LOG_FORMAT=log_format,  # the same redaction for both
        API_KEYS=f"{API_KEY},ro:{API_KEY}-read-only",
    )
    service = Service(env, tmp_path)
    seen: list[str] = []
    try:
        await service.wait_until_serving()
        auth = {"Authorization": f"Bearer {API_KEY}"}
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30, headers=auth) as client:
            for method, path, body in [
                ("GET", "/health", None),
                ("GET", "/openapi.json", None),
                ("POST", "/products", {"sku": "s", "name": "n", "price": "1"}),
                ("GET", "/products", None),
                ("POST", "/users", {"email": "a@example.com", "name": "A"}),
                ("GET", "/users", None),
                ("POST", "/events", {"type": "t"}),
                ("GET", "/events?limit=1", None),
                ("GET", "/nowhere", None),
            ]:
                response = await client.request(method, path, json=body)
                seen.append(f"{response.status_code} {response.headers} {response.text}")
                if path in ("/products", "/users", "/events"):
                    assert response.status_code == 503, response.text
            for headers in (
                {"Authorization": f"Bearer {API_KEY}-read-only"},
                {"Authorization": "Bearer wrong"},
            ):
                response = await client.post("/events", json={"type": "t"}, headers=headers)
                seen.append(f"{response.status_code} {response.headers} {response.text}")
                assert response.status_code in (401, 403), response.text
    finally:
        output = await service.stop()

    assert "unavailable" in output  # the failures were logged
    if log_format == "json":
        lines = [json.loads(line) for line in output.splitlines()]
        assert any("unavailable" in line["message"] and line["request_id"] for line in lines)
    for secret in (SECRET, API_KEY):
        assert secret not in output
        assert not any(secret in answer for answer in seen)
