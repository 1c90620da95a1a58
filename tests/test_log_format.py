"""LOG_FORMAT: every line the real `python -m app` writes, uvicorn's included, as text or
as one JSON object; one access line per request, with the route template, the status,
the duration and the databases the request touched."""

from __future__ import annotations

import json
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest

from tests.support.process import Service, service_environment

FIELDS = {"time", "level", "logger", "message", "request_id"}


def _environment(tmp_path: Path, postgres_url: str, log_format: str) -> dict[str, str]:
    return service_environment(
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        DATABASES__products_db__DB_TYPE="postgres",
        DATABASES__products_db__CONNECTION_STRING=postgres_url,
        DATABASES__products_db__POOL_SIZE="2",
        DATABASES__products_db__MAX_OVERFLOW="0",
        DATABASES__products_db__AUTO_MIGRATE="true",
        LOG_FORMAT=log_format,
        LOG_LEVEL="INFO",
    )


async def _requests(service: Service) -> tuple[str, str]:
    """A product created and read back by a client-chosen id; the id the service made for the read."""
    async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
        created = await client.post(
            "/products",
            json={"sku": f"log-{uuid.uuid4().hex}", "name": "L", "price": "2"},
            headers={"X-Request-ID": "made-by-me"},
        )
        assert created.status_code == 201, created.text
        read = await client.get(f"/products/{created.json()['id']}")
        assert read.status_code == 200
        missing = await client.get("/nowhere")
        assert missing.status_code == 404
    return read.headers["x-request-id"], missing.headers["x-request-id"]


async def test_json_lines_every_one_an_object_uvicorns_included(tmp_path: Path, postgres_url: str) -> None:
    service = Service(_environment(tmp_path, postgres_url, "json"), tmp_path)
    try:
        await service.wait_until_serving()
        read_id, missing_id = await _requests(service)
    finally:
        output = await service.stop()
    lines = [json.loads(line) for line in output.splitlines()]  # every line is one JSON object
    assert all(FIELDS <= set(line) for line in lines), [line for line in lines if not FIELDS <= set(line)]
    assert all(line["time"].endswith("+00:00") and "T" in line["time"] for line in lines)
    messages = {(line["logger"], line["message"]) for line in lines}
    assert any(logger == "uvicorn.error" and "Uvicorn running on" in m for logger, m in messages)
    assert any(logger == "uvicorn.error" and "Application startup complete" in m for logger, m in messages)
    access = {line["request_id"]: line for line in lines if line["logger"] == "uvicorn.access"}
    assert _access(access["made-by-me"]) == ("POST", "/products", 201, ["products_db"])
    assert _access(access[read_id]) == ("GET", "/products/{id}", 200, ["products_db"])
    assert _access(access[missing_id]) == ("GET", None, 404, [])  # no route: not the raw path
    assert all(isinstance(line["duration_ms"], float | int) for line in access.values())
    assert not any("/nowhere" in json.dumps(line) for line in access.values())
    served = [line for line in lines if line["logger"] == "uvicorn.access" and line["route"] != "/health"]
    assert len(served) == 3  # uvicorn's own access line is not written beside the service's


def _access(line: dict[str, Any]) -> tuple[str, str | None, int, list[str]]:
    assert line["client"].startswith("127.0.0.1:")  # host:port, as uvicorn's line had it
    return line["method"], line["route"], line["status"], line["databases"]


async def test_text_lines_carry_the_request_id_and_the_route(tmp_path: Path, postgres_url: str) -> None:
    service = Service(_environment(tmp_path, postgres_url, "text"), tmp_path)
    try:
        await service.wait_until_serving()
        read_id, _ = await _requests(service)
    finally:
        output = await service.stop()
    access = [line for line in output.splitlines() if " uvicorn.access: " in line and "/health" not in line]
    assert len(access) == 3
    assert access[0].endswith("request_id=made-by-me")
    assert '"POST /products" 201 in ' in access[0]
    assert access[0].split(" ms ")[1].startswith("on products_db")
    assert '"GET /products/{id}" 200 in ' in access[1]
    assert access[1].endswith(f"request_id={read_id}")
    with pytest.raises(json.JSONDecodeError, match="Extra data"):  # a date, then text
        json.loads(access[0])


async def test_access_log_false_writes_no_access_line_and_the_rest_still(tmp_path: Path) -> None:
    environment = service_environment(
        DB_TYPE="sqlite", DB_NAME=str(tmp_path / "primary.db"), AUTO_MIGRATE="true",
        LOG_FORMAT="json", LOG_LEVEL="INFO", ACCESS_LOG="false",
    )  # fmt: skip
    service = Service(environment, tmp_path)
    try:
        await service.wait_until_serving()
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
            assert (await client.get(f"/products/{uuid.uuid4()}")).status_code == 404
            assert (await client.get("/nowhere")).status_code == 404
    finally:
        output = await service.stop()
    lines = [json.loads(line) for line in output.splitlines()]
    assert not [line for line in lines if line["logger"] == "uvicorn.access"]
    assert [line for line in lines if line["level"] == "INFO"]  # the start's lines, at INFO
