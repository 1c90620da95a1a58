"""/status: the page an operator opens. In headless Chromium, against the real service on
SQLite, PostgreSQL and MariaDB with one shard's server down, the page names every database
with its state; its screenshot (at a phone's width) is kept in test-artifacts/status.png.
Over HTTP: behind API keys, no script, nothing from another host, and a style the page's
own Content-Security-Policy allows."""

from __future__ import annotations

import base64
import hashlib
import re
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest

from app.adapters.interface import PoolUse
from app.api.status_page import DatabaseView, StatusView, render
from app.controllers.health import DatabaseHealth, ReplicaHealth
from tests.support.browser import ARTIFACTS, CHROMIUM, NO_CHROMIUM, chromium
from tests.support.ports import free_port
from tests.support.process import Service, service_environment
from tests.support.service import container, serve, settings

KEY = "status-key-0123456789abcdef"
STATES = re.compile(r'data-database="([^"]+)" data-state="([^"]+)"')
MEMBERS = re.compile(r'data-member="([^"]+)" data-state="([^"]+)"')
ROUTES = re.compile(r'<tr data-route="([^"]+)"><td>[^<]+</td><td>([^< ]+)')


async def test_status_needs_a_key_runs_no_script_and_loads_nothing_from_elsewhere() -> None:
    config = settings(DB_TYPE="memory", API_KEYS=KEY)
    async with serve(container(config)) as client:
        refused = await client.get("/status")
        page = await client.get("/status", headers={"Authorization": f"Bearer {KEY}"})
        schema = await client.get("/openapi.json", headers={"Authorization": f"Bearer {KEY}"})
    assert refused.status_code == 401
    assert refused.headers["content-type"] == "application/problem+json"
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert page.headers["cache-control"] == "no-store"
    policy = page.headers["content-security-policy"]
    assert "default-src 'none'" in policy  # no script, no fetch, no image, no font
    assert "script-src" not in policy
    assert "unsafe-inline" not in policy
    assert "<script" not in page.text
    assert not re.search(r"(src|href)=", page.text)  # nothing loaded, from here or elsewhere
    style = re.search(r"<style>(.*?)</style>", page.text, re.DOTALL)
    assert style is not None
    digest = base64.b64encode(hashlib.sha256(style.group(1).encode()).digest()).decode()
    assert f"style-src 'sha256-{digest}'" in policy  # the browser applies the page's style
    assert '<meta http-equiv="refresh" content="5">' in page.text
    assert 'name="viewport" content="width=device-width' in page.text
    assert "/status" not in schema.json()["paths"]  # the document describes the JSON API


async def test_a_browser_gives_the_key_as_the_password_its_prompt_asks_for() -> None:
    """A page without scripts cannot send a bearer header: /status asks for HTTP Basic (its
    password a key, any user name), which the browser's prompt takes and sends again with
    each refresh. Only the page: the API still takes bearer keys alone."""
    config = settings(DB_TYPE="memory", API_KEYS=KEY)
    async with serve(container(config)) as client:
        asked = await client.get("/status")
        page = await client.get("/status", auth=("operator", KEY))
        wrong = await client.get("/status", auth=("operator", "not-" + KEY))
        api = await client.get("/products", auth=("operator", KEY))
    assert asked.status_code == 401
    assert asked.headers["www-authenticate"].startswith("Basic ")
    assert page.status_code == 200
    assert page.headers["cache-control"] == "no-store"
    assert 'data-database="default"' in page.text
    assert wrong.status_code == 401
    assert api.status_code == 401
    assert api.headers["www-authenticate"].startswith("Bearer ")


async def test_the_page_behind_a_key_opens_in_a_browser(tmp_path: Path) -> None:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    service = Service(service_environment(DB_TYPE="memory", API_KEYS=KEY), tmp_path)
    try:
        await service.wait_until_serving()
        address = service.base_url.removeprefix("http://")
        refused = chromium(tmp_path / "refused", f"{service.base_url}/status", "--dump-dom", budget_ms=2000)
        opened = chromium(
            tmp_path / "opened", f"http://operator:{KEY}@{address}/status", "--dump-dom", budget_ms=2000
        )
    finally:
        await service.stop()
    assert 'data-database="default"' not in refused
    assert set(dict(STATES.findall(opened)).values()) == {"up"}
    assert "default" in dict(STATES.findall(opened))


async def test_the_page_names_every_database_with_its_state_in_a_browser(
    tmp_path: Path, postgres_url: str, mysql_url: str
) -> None:
    if CHROMIUM is None:
        pytest.skip(NO_CHROMIUM)
    env = service_environment(
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        DATABASES__products_db__DB_TYPE="postgres",
        DATABASES__products_db__CONNECTION_STRING=postgres_url,
        DATABASES__products_db__POOL_SIZE="2",
        DATABASES__products_db__MAX_OVERFLOW="1",
        DATABASES__products_db__AUTO_MIGRATE="true",
        DATABASES__users_db__DB_TYPE="mysql",
        DATABASES__users_db__CONNECTION_STRING=mysql_url,
        DATABASES__users_db__POOL_SIZE="2",
        DATABASES__users_db__AUTO_MIGRATE="true",
        SHARDS__analytics_db="events_a,events_b",
        DATABASES__events_a__DB_TYPE="sqlite",
        DATABASES__events_a__DB_NAME=str(tmp_path / "events_a.db"),
        # Down: a PostgreSQL server where nothing listens.
        DATABASES__events_b__DB_TYPE="postgres",
        DATABASES__events_b__DB_HOST="127.0.0.1",
        DATABASES__events_b__DB_PORT=str(free_port()),
        DATABASES__events_b__DB_USER="app",
        DATABASES__events_b__DB_NAME="events",
        DATABASES__events_b__CONNECT_TIMEOUT="1",
        HEALTH_TIMEOUT="2",
    )
    service = Service(env, tmp_path)
    screenshot = ARTIFACTS / "status.png"
    try:
        await service.wait_until_serving()
        async with httpx.AsyncClient(base_url=service.base_url, timeout=30) as client:
            created = await client.post("/products", json={"sku": "status-1", "name": "S", "price": "3"})
            assert created.status_code in (201, 409), created.text
        dom = chromium(tmp_path / "dom", f"{service.base_url}/status", "--dump-dom", budget_ms=3000)
        ARTIFACTS.mkdir(exist_ok=True)
        screenshot.unlink(missing_ok=True)
        chromium(
            tmp_path / "shot",
            f"{service.base_url}/status",
            "--window-size=412,1500",  # a phone's width
            "--hide-scrollbars",
            f"--screenshot={screenshot}",
            budget_ms=3000,
        )
    finally:
        await service.stop()

    assert dict(STATES.findall(dom)) == {
        "default": "up",
        "events_a": "up",
        "events_b": "down",
        "products_db": "up",
        "users_db": "up",
    }
    assert dict(MEMBERS.findall(dom)) == {"events_a": "up", "events_b": "down"}
    assert dict(ROUTES.findall(dom)) == {
        "/events": "analytics_db",
        "/products": "products_db",
        "/users": "users_db",
    }
    assert 'id="overall">degraded<' in dom
    assert "connection refused" in dom  # why events_b is down
    products = dom[dom.index('data-database="products_db"') :]
    assert re.search(
        r"<dt>pool</dt><dd>\d of 3 in use, \d+ waiting</dd>", products[: products.index("</section>")]
    )
    assert re.search(r"<dt>last ping</dt><dd>[0-9.]+ ms</dd>", products)
    assert screenshot.read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert screenshot.stat().st_size > 20_000  # more than an empty page


async def test_tenants_members_are_listed_with_their_databases() -> None:
    config = settings(
        DB_TYPE="memory",
        DATABASES={"acme_db": {"DB_TYPE": "memory"}, "globex_db": {"DB_TYPE": "memory"}},
        TENANTS={"acme": "acme_db", "globex": "globex_db"},
        TENANT_SELECTED="users_db",
        TENANT_SHARED="products,events",
    )
    async with serve(container(config)) as client:
        page = (await client.get("/status")).text
    assert 'data-composite="users_db"' in page
    assert dict(MEMBERS.findall(page)) == {"acme_db": "up", "globex_db": "up"}
    assert "<th>tenant</th>" in page
    assert re.search(r"<td>acme</td><td>acme_db</td>", page)


def test_replicas_are_shown_with_their_lag() -> None:
    health = DatabaseHealth(
        type="postgres",
        status="up",
        latency_ms=1.25,
        replicas=[
            ReplicaHealth(name="products_db replica 1", status="up", lag_ms=120.0),
            ReplicaHealth(name="products_db replica 2", status="down", lag_ms=None),
        ],
    )
    database = DatabaseView("products_db", health, "postgres db:5432/shop", PoolUse(3, 20, 1), False)
    page = render(StatusView("ok", datetime.now(UTC), [], [database], []), "multidb")
    assert re.search(r'data-replica="products_db replica 1">.*?>up<.*?<td>0\.120 s</td>', page)
    assert re.search(r'data-replica="products_db replica 2">.*?>down<.*?<td>not measured</td>', page)
    assert "<dd>3 of 20 in use, 1 waiting</dd>" in page
    assert "<dd>1.25 ms</dd>" in page
