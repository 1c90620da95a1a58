"""Tenants on real servers: acme and globex on PostgreSQL databases of their own, initech
on MariaDB; users and products are tenant-selected, events stay on one fixed database.

Every row a test writes for a tenant carries the tenant's name as the prefix of a field
(a user's email and name, a product's sku and name), so a tenant's database read
directly through its driver shows at once whether a foreign row ever reached it.
"""

from __future__ import annotations

import asyncio
import logging
import random
import re
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any
from uuid import uuid4

import httpx
import pytest
from starlette.types import Receive, Scope, Send

from app import tenancy
from app.adapters.tenants import TenantAdapter
from app.api.tenants import TenantMiddleware
from app.errors import NotFound, TenantRequired, UnknownTenant
from app.main import create_app
from app.models import USERS
from app.models.types import now
from app.tenancy import RequestTenant
from containers import Container
from settings import ConfigurationError, DatabaseConfig
from settings.secrets import parse_api_keys
from tests.support import backends, stored
from tests.support.environment import error_of, load
from tests.support.service import container, serve, settings
from tests.test_readme import blocks, section, variables

TENANT_BACKENDS = {"acme": "postgres", "globex": "postgres", "initech": "mysql"}
KEY_OF = {"acme": "acme-key-0123456789abcdef", "globex": "globex-key-0123456789abcdef"}
UNTENANTED_KEY = "plain-key-0123456789abcdef"


@pytest.fixture(scope="module")
def urls(postgres_url: str, mysql_url: str) -> dict[str, str]:
    """Each tenant's database, and `primary`, created empty for this module."""
    found = {
        tenant: backends.sibling(postgres_url if backend == "postgres" else mysql_url, tenant)
        for tenant, backend in TENANT_BACKENDS.items()
    }
    found["primary"] = backends.sibling(postgres_url, "primary")
    for url in found.values():
        recreate = (
            backends.recreate_mysql_database
            if url.startswith("mysql")
            else backends.recreate_postgres_database
        )
        backends.run(recreate(url))
    found["events"] = postgres_url
    return found


def database(url: str) -> dict[str, Any]:
    return {"DB_TYPE": "mysql" if url.startswith("mysql") else "postgres", "CONNECTION_STRING": url}


def tenant_settings(urls: dict[str, str], **values: Any) -> dict[str, Any]:
    return {
        "DB_TYPE": "postgres",
        "DB_CONNECTION_STRING": urls["primary"],
        "DATABASES": {
            **{f"{tenant}_db": database(urls[tenant]) for tenant in TENANT_BACKENDS},
            "analytics_db": database(urls["events"]),
        },
        "TENANTS": {tenant: f"{tenant}_db" for tenant in TENANT_BACKENDS},
        "TENANT_SELECTED": "users_db,products_db",
        **values,
    }


@asynccontextmanager
async def service(urls: dict[str, str], **values: Any) -> AsyncIterator[httpx.AsyncClient]:
    async with serve(container(settings(**tenant_settings(urls, **values)))) as client:
        yield client


def config_of(url: str) -> DatabaseConfig:
    return DatabaseConfig.model_validate(database(url))


async def values(url: str, table: str, column: str) -> list[str]:
    return [str(value) for value in await stored.column_values(config_of(url), table, column)]


async def primary_user_ids(url: str) -> set[str]:
    """Whatever the primary holds of users: nothing, as it serves no tenant."""
    return await stored.postgres_ids(url, "users", ["00000000-0000-0000-0000-000000000000"])


def as_tenant(tenant: str) -> dict[str, str]:
    return {"X-Tenant": tenant}


@dataclass
class Acknowledged:
    """What the service said it stored, per tenant."""

    emails: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in TENANT_BACKENDS})
    names: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in TENANT_BACKENDS})
    skus: dict[str, set[str]] = field(default_factory=lambda: {t: set() for t in TENANT_BACKENDS})
    requests: int = 0
    in_flight: int = 0
    peak: int = 0  # the most requests the app was serving at once

    async def started(self, request: httpx.Request) -> None:
        self.in_flight += 1
        self.peak = max(self.peak, self.in_flight)

    async def answered(self, response: httpx.Response) -> None:
        self.in_flight -= 1


async def user_lifecycle(
    client: httpx.AsyncClient, tenant: str, n: int, done: Acknowledged, run: str
) -> None:
    """Create a user, read it back, rename it, read it as another tenant, list: each step
    a request, all of them interleaved with every other tenant's."""
    headers = as_tenant(tenant)
    email = f"{tenant}-{run}-{n}@example.com"
    created = await client.post("/users", json={"email": email, "name": f"{tenant} {n}"}, headers=headers)
    assert created.status_code == 201, created.text
    done.emails[tenant].add(email)
    id = created.json()["id"]
    read = await client.get(f"/users/{id}", headers=headers)
    assert (read.status_code, read.json()["email"]) == (200, email)
    renamed = await client.patch(f"/users/{id}", json={"name": f"{tenant} renamed {n}"}, headers=headers)
    assert renamed.status_code == 200, renamed.text
    done.names[tenant].add(f"{tenant} renamed {n}")
    other = random.choice([t for t in TENANT_BACKENDS if t != tenant])
    assert (await client.get(f"/users/{id}", headers=as_tenant(other))).status_code == 404
    listed = await client.get("/users", params={"limit": 100}, headers=headers)
    assert listed.status_code == 200
    assert all(item["email"].startswith(f"{tenant}-") for item in listed.json()["items"])
    done.requests += 5


async def product_lifecycle(
    client: httpx.AsyncClient, tenant: str, n: int, done: Acknowledged, run: str
) -> None:
    headers = as_tenant(tenant)
    sku = f"{tenant}-{run}-{n}"
    body = {"sku": sku, "name": f"{tenant} product {n}", "price": "9.99"}
    created = await client.post("/products", json=body, headers=headers)
    assert created.status_code == 201, created.text
    done.skus[tenant].add(sku)
    listed = await client.get("/products", params={"sku": sku}, headers=headers)
    assert [item["sku"] for item in listed.json()["items"]] == [sku]
    done.requests += 2


async def test_concurrent_requests_of_several_tenants_reach_only_their_own_databases(
    urls: dict[str, str], figure: Callable[[str], None]
) -> None:
    run = f"{random.randrange(16**8):08x}"
    done = Acknowledged()
    async with service(urls) as client:
        client.event_hooks = {"request": [done.started], "response": [done.answered]}
        work = [user_lifecycle(client, t, n, done, run) for t in TENANT_BACKENDS for n in range(40)]
        work += [product_lifecycle(client, t, n, done, run) for t in TENANT_BACKENDS for n in range(25)]
        random.shuffle(work)
        await asyncio.gather(*work)

    foreign = missing = stored_rows = 0
    for tenant in TENANT_BACKENDS:
        emails = await values(urls[tenant], "users", "email")
        names = await values(urls[tenant], "users", "name")
        skus = await values(urls[tenant], "products", "sku")
        foreign += sum(not email.startswith(f"{tenant}-") for email in emails)
        foreign += sum(not name.startswith(f"{tenant} ") for name in names)
        foreign += sum(not sku.startswith(f"{tenant}-") for sku in skus)
        missing += len(done.emails[tenant] - set(emails)) + len(done.names[tenant] - set(names))
        missing += len(done.skus[tenant] - set(skus))
        stored_rows += len(emails) + len(skus)
    in_primary = await primary_user_ids(urls["primary"])
    figure(
        f"{done.requests} requests for 3 tenants (2 PostgreSQL, 1 MariaDB), up to {done.peak} in flight: "
        f"{foreign} foreign rows, {missing} acknowledged writes missing, {stored_rows} rows stored in all"
    )
    assert done.requests == 3 * (40 * 5 + 25 * 2)  # 750 requests
    assert done.peak >= 100
    assert (foreign, missing, in_primary) == (0, 0, set())


@pytest.mark.parametrize(
    ("tenant", "status", "said"),
    [
        (None, 400, "no tenant: send the X-Tenant header"),
        ("umbrella", 404, "unknown tenant 'umbrella'"),
        ("ACME", 404, "unknown tenant 'ACME'"),
        ("acme;globex", 400, "malformed"),
        ("../acme", 400, "malformed"),
        ("a" * 64, 400, "malformed"),
        ("-acme", 400, "malformed"),
        ("acme\u00e9", 400, "malformed"),
    ],
)
async def test_a_missing_unknown_or_malformed_tenant_is_refused_and_writes_nothing(
    urls: dict[str, str], tenant: str | None, status: int, said: str
) -> None:
    headers: dict[bytes, bytes] = {} if tenant is None else {b"X-Tenant": tenant.encode()}
    email = f"nobody-{random.randrange(16**8):08x}@example.com"
    async with service(urls) as client:
        created = await client.post("/users", json={"email": email, "name": "nobody"}, headers=headers)
        listed = await client.get("/users", headers=headers)
        events = await client.get("/events", headers=headers)

    for response in (created, listed):
        assert response.status_code == status
        assert response.headers["content-type"] == "application/problem+json"
        assert said in response.json()["detail"]
    assert events.status_code == 200  # a fixed database needs no tenant
    for tenant_name in TENANT_BACKENDS:
        assert email not in await values(urls[tenant_name], "users", "email")
    assert await primary_user_ids(urls["primary"]) == set()


async def test_two_tenant_headers_are_refused_rather_than_one_chosen(urls: dict[str, str]) -> None:
    async with service(urls) as client:
        response = await client.get("/users", headers=[("X-Tenant", "acme"), ("X-Tenant", "globex")])

    assert response.status_code == 400
    assert "malformed" in response.json()["detail"]


async def test_the_path_names_the_tenant_and_location_keeps_the_prefix(urls: dict[str, str]) -> None:
    email = f"globex-path-{random.randrange(16**8):08x}@example.com"
    async with service(urls, TENANT_FROM="path") as client:
        created = await client.post("/t/globex/users", json={"email": email, "name": "globex path"})
        location = created.headers["location"]
        read = await client.get(location)
        unprefixed = await client.get(location.removeprefix("/t/globex"))
        as_acme = await client.get(location.replace("/t/globex/", "/t/acme/"))
        header_only = await client.get("/users", headers=as_tenant("globex"))
        unknown = await client.post("/t/umbrella/users", json={"email": "x@example.com", "name": "x"})
        malformed = await client.get("/t/glo%20bex/users")
        events = await client.get("/events")
        prefixed_events = await client.get("/t/acme/events")

    assert created.status_code == 201
    assert location == f"/t/globex/users/{created.json()['id']}"
    assert (read.status_code, read.json()["email"]) == (200, email)
    assert unprefixed.status_code == 400
    assert "prefix the path with /t/{tenant}" in unprefixed.json()["detail"]
    assert as_acme.status_code == 404
    assert header_only.status_code == 400  # only the configured source is read
    assert (unknown.status_code, malformed.status_code) == (404, 400)
    assert (events.status_code, prefixed_events.status_code) == (200, 200)
    assert email in await values(urls["globex"], "users", "email")
    assert email not in await values(urls["acme"], "users", "email")


async def test_an_api_key_reaches_its_own_tenant_whatever_the_header_says(urls: dict[str, str]) -> None:
    keys = f"{KEY_OF['acme']}@acme,{KEY_OF['globex']}@globex,{UNTENANTED_KEY}"

    def bearer(key: str, **headers: str) -> dict[str, str]:
        return {"Authorization": f"Bearer {key}", **headers}

    email = f"globex-key-{random.randrange(16**8):08x}@example.com"
    async with service(urls, TENANT_FROM="api_key", API_KEYS=keys) as client:
        created = await client.post(
            "/users", json={"email": email, "name": "globex key"}, headers=bearer(KEY_OF["globex"])
        )
        id = created.json()["id"]
        own = await client.get(f"/users/{id}", headers=bearer(KEY_OF["globex"]))
        foreign = await client.get(f"/users/{id}", headers=bearer(KEY_OF["acme"], **as_tenant("globex")))
        listed = await client.get("/users", params={"email": email}, headers=bearer(KEY_OF["acme"]))
        patched = await client.patch(
            f"/users/{id}",
            json={"name": "acme was here"},
            headers=bearer(KEY_OF["acme"], **as_tenant("globex")),
        )
        untenanted = await client.get("/users", headers=bearer(UNTENANTED_KEY, **as_tenant("globex")))
        untenanted_events = await client.get("/events", headers=bearer(UNTENANTED_KEY))
        no_key = await client.get("/users", headers=as_tenant("globex"))

    assert (created.status_code, own.status_code) == (201, 200)
    assert (foreign.status_code, patched.status_code) == (404, 404)
    assert listed.json()["total"] == 0
    assert untenanted.status_code == 400
    assert "API key that carries one" in untenanted.json()["detail"]
    assert untenanted_events.status_code == 200
    assert no_key.status_code == 401
    assert email in await values(urls["globex"], "users", "email")
    assert "acme was here" not in await values(urls["globex"], "users", "name")


async def test_a_tenant_added_by_configuration_alone_is_served_with_its_tables(
    urls: dict[str, str], postgres_url: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    hooli = backends.sibling(postgres_url, "hooli")
    await backends.recreate_postgres_database(hooli)
    environment = {
        "DB_TYPE": "postgres",
        "DB_CONNECTION_STRING": urls["primary"],
        "AUTO_MIGRATE": "true",
        "TENANT_SELECTED": "users_db,products_db",
        "TENANTS__acme": "acme_db",
        "DATABASES__acme_db__DB_TYPE": "postgres",
        "DATABASES__acme_db__CONNECTION_STRING": urls["acme"],
        "TENANTS__hooli": "hooli_db",
        "DATABASES__hooli_db__DB_TYPE": "postgres",
        "DATABASES__hooli_db__CONNECTION_STRING": hooli,
    }
    configured = load(monkeypatch, **environment)

    async with serve(container(configured)) as client:
        created = await client.post(
            "/users", json={"email": "hooli-1@example.com", "name": "hooli 1"}, headers=as_tenant("hooli")
        )
        product = await client.post(
            "/products",
            json={"sku": "hooli-1", "name": "hooli thing", "price": "1"},
            headers=as_tenant("hooli"),
        )
        health = (await client.get("/health")).json()

    assert (created.status_code, product.status_code) == (201, 201)
    assert await values(hooli, "users", "email") == ["hooli-1@example.com"]
    assert await values(hooli, "products", "sku") == ["hooli-1"]
    assert health["databases"]["hooli_db"]["status"] == "up"


async def test_health_lists_each_tenant_database_and_the_log_shows_the_mapping(
    urls: dict[str, str], caplog: pytest.LogCaptureFixture
) -> None:
    with caplog.at_level(logging.INFO, logger="multidb"):
        async with service(urls) as client:
            health = (await client.get("/health")).json()

    databases = health["databases"]
    assert {"acme_db", "globex_db", "initech_db"} <= set(databases)
    assert {databases[f"{t}_db"]["type"] for t in TENANT_BACKENDS} == {"postgres", "mysql"}
    assert "users_db" not in databases  # reported through its tenants' databases
    routes = [record.getMessage() for record in caplog.records if record.getMessage().startswith("route /")]
    mapping = "acme -> acme_db, globex -> globex_db, initech -> initech_db"
    assert f"route /users -> users_db -> tenant-selected of {mapping}" in routes
    assert any(line.startswith("route /events -> analytics_db -> postgres") for line in routes)


async def test_a_unit_of_work_is_the_tenant_databases_own(urls: dict[str, str]) -> None:
    service_container = container(settings(**tenant_settings(urls)))
    id = uuid4()
    email = f"initech-rolled-back-{id.hex[:8]}@example.com"
    row = {"id": id, "email": email, "name": "initech rolled back", "version": 1}
    async with serve(service_container):
        users = service_container.databases.users_db()
        assert isinstance(users, TenantAdapter)

        async def abandoned() -> None:
            async with users.transaction():
                await users.insert(USERS, {**row, "created_at": now(), "updated_at": now()})
                assert (await users.get(USERS, id))["email"] == email  # seen inside the unit of work
                raise RuntimeError("abandon the unit of work")

        started = tenancy.begin(RequestTenant("initech", "a test", "name one"))
        try:
            with pytest.raises(RuntimeError, match="abandon"):
                await abandoned()
            with pytest.raises(NotFound):
                await users.get(USERS, id)
        finally:
            tenancy.end(started)
        with pytest.raises(TenantRequired):
            await users.get(USERS, id)
        unknown = tenancy.begin(RequestTenant("umbrella", "a test", "name one"))
        try:
            with pytest.raises(UnknownTenant):
                await users.atomically(lambda: users.get(USERS, id))
        finally:
            tenancy.end(unknown)
    assert email not in await values(urls["initech"], "users", "email")


@pytest.mark.parametrize(
    ("variables", "said"),
    [
        (
            {"TENANTS__acme": "acme_db", "TENANT_SELECTED": "users_db"},
            "TENANTS__acme: acme_db is not a configured database",
        ),
        ({"TENANT_SELECTED": "users_db"}, "TENANT_SELECTED is set but TENANTS maps no tenant"),
        (
            {"DATABASES__a_db__DB_TYPE": "memory", "TENANTS__acme": "a_db", "TENANT_FROM": "api_key"},
            "TENANT_FROM=api_key reads the tenant of the caller's API key: set API_KEYS",
        ),
        (
            {
                "DATABASES__a_db__DB_TYPE": "memory",
                "TENANTS__acme": "a_db",
                "TENANT_FROM": "api_key",
                "API_KEYS": f"{KEY_OF['acme']}@acme,{KEY_OF['globex']}@globex",
            },
            "API_KEYS: key 2 carries tenant globex, which is not in TENANTS",
        ),
        (
            {
                "DATABASES__a_db__DB_TYPE": "memory",
                "TENANTS__acme": "a_db",
                "API_KEYS": f"{KEY_OF['acme']}@acme",
            },
            "API_KEYS: key 1 carries a tenant, which only TENANT_FROM=api_key reads",
        ),
        (
            {
                "DATABASES__a_db__DB_TYPE": "memory",
                "TENANTS__acme": "a_db",
                "API_KEYS": f"{KEY_OF['acme']}@a/b",
            },
            "API_KEYS: key 1: the tenant after @ must be 1 to 63 letters",
        ),
        (
            {"DATABASES__a_db__DB_TYPE": "memory", "TENANTS___acme": "a_db"},
            "TENANTS___acme: a tenant's name is 1 to 63 letters",
        ),
        (
            {
                "DATABASES__a_db__DB_TYPE": "memory",
                "TENANTS__acme": "a_db",
                "TENANTS__globex": "a_db",
                "TENANT_FROM": "api_key",
                "API_KEYS": f"{KEY_OF['acme']}@acme,{KEY_OF['acme']}@globex",
            },
            "API_KEYS: key 2 is key 1 again with another tenant or access",
        ),
        ({"TENANT_FROM": "cookie"}, "TENANT_FROM"),
        ({"TENANT_HEADER": "X Tenant"}, "TENANT_HEADER"),
    ],
)
def test_tenant_settings_errors_are_one_clear_line(
    monkeypatch: pytest.MonkeyPatch, variables: dict[str, str], said: str
) -> None:
    message = error_of(monkeypatch, **variables)

    assert said in message
    assert "\n" not in message
    assert KEY_OF["acme"] not in message


def test_the_container_refuses_tenant_settings_with_a_configuration_error(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("TENANT_SELECTED", "users_db")
    monkeypatch.setenv("TENANTS__acme", "acme_db")

    with pytest.raises(ConfigurationError, match="TENANTS__acme: acme_db is not a configured database"):
        Container()


def test_a_key_without_a_tenant_keeps_its_old_meaning(monkeypatch: pytest.MonkeyPatch) -> None:
    configured = load(monkeypatch, API_KEYS=f"{UNTENANTED_KEY},ro:{KEY_OF['acme']}")

    assert [(key.read_only, key.tenant) for key in configured.api_keys] == [(False, None), (True, None)]


@pytest.mark.parametrize("source", ["header", "path", "api_key"])
def test_the_openapi_document_says_where_the_tenant_is_read_from(source: str) -> None:
    keys = {"API_KEYS": f"{KEY_OF['acme']}@acme"} if source == "api_key" else {}
    configured = settings(
        DB_TYPE="memory",
        DATABASES={"a_db": {"DB_TYPE": "memory"}},
        TENANTS={"acme": "a_db"},
        TENANT_SELECTED="users_db",
        TENANT_FROM=source,
        **keys,
    )
    paths = create_app(container(configured)).openapi()["paths"]

    users = "/t/{tenant}/users" if source == "path" else "/users"
    assert {f"{users}", f"{users}/{{id}}", "/events", "/events/{id}"} <= set(paths)
    created = paths[users]["post"]
    parameters = {(p["name"], p["in"]) for p in created.get("parameters", [])}
    expected = {"header": {("X-Tenant", "header")}, "path": {("tenant", "path")}, "api_key": set()}[source]
    assert parameters == expected
    assert "could not be parsed; or " in created["responses"]["400"]["description"]
    assert "a tenant not in TENANTS" in paths[f"{users}/{{id}}"]["get"]["responses"]["404"]["description"]
    fixed = paths["/events/{id}"]["get"]["responses"]  # a fixed database needs no tenant
    assert "tenant" not in str(fixed.get("400", {})).lower()
    assert "tenant" not in str(fixed["404"]).lower()


async def test_the_readme_configuration_serves_its_tenants_as_it_says(
    urls: dict[str, str], monkeypatch: pytest.MonkeyPatch, caplog: pytest.LogCaptureFixture
) -> None:
    text = section("## Tenants")
    configured = variables(blocks(text, "sh")[0])
    configured["DATABASES__acme_db__CONNECTION_STRING"] = urls["acme"]
    configured["DATABASES__globex_db__CONNECTION_STRING"] = urls["initech"]  # the README's is MariaDB too
    log = re.search(r"```\n(INFO .*?)```", text, flags=re.DOTALL)
    assert log is not None
    logged = [line.removeprefix("INFO multidb: ") for line in log[1].splitlines()]

    with caplog.at_level(logging.INFO, logger="multidb"):
        async with serve(
            container(load(monkeypatch, DB_TYPE="memory", AUTO_MIGRATE="true", **configured))
        ) as client:
            created = await client.post(
                "/users",
                json={"email": "acme-readme@example.com", "name": "acme Ada"},
                headers=as_tenant("acme"),
            )
            as_globex = await client.get(
                "/users", params={"email": "acme-readme@example.com"}, headers=as_tenant("globex")
            )
            missing = await client.get("/users")
            unknown = await client.get("/users", headers=as_tenant("umbrella"))

    assert set(logged) <= {record.getMessage() for record in caplog.records}
    assert (created.status_code, as_globex.json()["total"]) == (201, 0)
    assert missing.json()["detail"] in text
    assert unknown.json()["detail"] in text
    assert parse_api_keys(re.search(r"`API_KEYS=(\S+)`", text)[1])[1].tenant == "globex"  # type: ignore[index]


async def test_the_path_prefix_is_taken_off_behind_a_root_path_too() -> None:
    seen: list[tuple[str, str | None]] = []

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        seen.append((scope["path"], tenancy.current().value))

    middleware = TenantMiddleware(app, source="path", header="X-Tenant")
    for path in ("/api/t/acme/users/1", "/api/events"):
        scope: Scope = {
            "type": "http",
            "root_path": "/api",
            "path": path,
            "raw_path": path.encode(),
            "headers": [],
        }
        await middleware(scope, _nothing, _nothing)

    assert seen == [("/api/users/1", "acme"), ("/api/events", None)]


async def _nothing(*args: Any) -> Any:
    raise AssertionError("the test app neither reads nor sends")


async def test_an_expansion_into_a_tenant_selected_resource_reads_only_the_requests_tenant(
    urls: dict[str, str],
) -> None:
    """Events are shared; the user an event refers to is read from the database of the
    tenant who asks, so another tenant sees it as null, and no tenant is a 400."""
    async with service(urls) as client:
        created = await client.post(
            "/users",
            json={"email": "acme-expanded@acme.example", "name": "acme Ada"},
            headers=as_tenant("acme"),
        )
        user = created.json()
        event = (await client.post("/events", json={"type": "login", "user_id": user["id"]})).json()
        path = f"/events/{event['id']}?expand=user"

        as_acme = await client.get(path, headers=as_tenant("acme"))
        as_globex = await client.get(path, headers=as_tenant("globex"))
        as_nobody = await client.get(path)
        listed = await client.get(f"/events?user_id={user['id']}&expand=user", headers=as_tenant("globex"))

    assert created.status_code == 201
    assert as_acme.status_code == 200
    assert as_acme.json()["user"]["email"] == "acme-expanded@acme.example"
    assert as_globex.status_code == 200
    assert as_globex.json()["user"] is None
    assert "X-Expand-Failed" not in as_globex.headers  # globex has no such user: not a failure
    assert listed.json()["items"][0]["user"] is None
    assert as_nobody.status_code == 400
    assert "X-Tenant" in as_nobody.json()["detail"]
