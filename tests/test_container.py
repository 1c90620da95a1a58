"""The container: one provider per named database, fallbacks, overrides in tests, and the
design note's dependencies kept working."""

from __future__ import annotations

from pathlib import Path
from typing import Annotated, Any

import pytest
from fastapi import APIRouter, Depends, FastAPI

from app.adapters.interface import DatabaseAdapter, ListQuery
from app.adapters.memory import InMemoryAdapter
from app.api.dependencies.db import get_analytics_db, get_db_adapter, get_product_db, get_user_db
from app.controllers.users import UserController
from app.models import PRODUCTS, USERS
from containers import Container
from containers.databases import bindings
from settings import ConfigurationError
from tests.support.service import container, serve, settings


def sqlite_settings(directory: Path, **databases: str) -> Any:
    return settings(
        DB_TYPE="sqlite",
        DB_NAME=str(directory / "primary.db"),
        DATABASES={
            name: {"DB_TYPE": "sqlite", "DB_NAME": str(directory / file)} for name, file in databases.items()
        },
    )


def test_one_provider_per_named_database(tmp_path: Path) -> None:
    built = container(sqlite_settings(tmp_path, users_db="users.db", reports_db="reports.db"))

    names = set(built.databases.providers)
    assert {"default", "users_db", "reports_db", "products_db", "analytics_db"} <= names
    assert built.databases.users_db() is built.databases.users_db()  # one pool for the app's life
    assert built.databases.users_db() is not built.databases.default()
    expected = str(tmp_path / "reports.db")
    assert expected == built.databases.reports_db().config.DB_NAME


def test_a_bound_name_that_is_not_configured_falls_back_to_the_primary(tmp_path: Path) -> None:
    built = container(sqlite_settings(tmp_path, users_db="users.db"))

    assert built.databases.products_db() is built.databases.default()
    assert built.databases.analytics_db() is built.databases.default()
    routes = {binding.resource.name: binding.database for binding in bindings(built)}
    assert routes == {"events": "analytics_db", "products": "products_db", "users": "users_db"}


def test_strict_mode_turns_a_fallback_into_a_startup_error(tmp_path: Path) -> None:
    config = sqlite_settings(tmp_path, users_db="users.db").model_copy(update={"DATABASES_STRICT": True})

    with pytest.raises(ConfigurationError, match="DATABASES__analytics_db__DB_TYPE"):
        container(config)


def test_container_with_no_arguments_reads_the_environment(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    monkeypatch.setenv("DATABASES__users_db__DB_TYPE", "memory")
    monkeypatch.chdir(tmp_path)

    built = Container()

    assert isinstance(built.databases.users_db(), InMemoryAdapter)
    assert built.databases.default().config.DB_TYPE == "sqlite"


async def test_overriding_a_database_reroutes_only_its_endpoints(tmp_path: Path) -> None:
    built = container(sqlite_settings(tmp_path, users_db="users.db", products_db="products.db"))
    fake = InMemoryAdapter()

    async with serve(built) as client:
        with built.databases.users_db.override(fake):
            user = (await client.post("/users", json={"email": "fake@example.com", "name": "F"})).json()
            product = (await client.post("/products", json={"sku": "s", "name": "S", "price": "1"})).json()
            assert (await client.get(f"/users/{user['id']}")).status_code == 200

        assert [row["email"] for row in fake.rows(USERS)] == ["fake@example.com"]
        assert fake.rows(PRODUCTS) == []
        real_users = await built.databases.users_db().list(USERS, ListQuery())
        real_products = await built.databases.products_db().list(PRODUCTS, ListQuery())
        assert real_users.total == 0
        assert [str(row["id"]) for row in real_products.items] == [product["id"]]
        assert (await client.get(f"/users/{user['id']}")).status_code == 404  # the override has ended


async def test_the_design_notes_dependencies_yield_the_pooled_adapters(tmp_path: Path) -> None:
    built = container(sqlite_settings(tmp_path, users_db="users.db", products_db="products.db"))
    router = APIRouter()
    seen: dict[str, DatabaseAdapter] = {}

    @router.get("/probe")
    async def probe(
        primary: Annotated[DatabaseAdapter, Depends(get_db_adapter)],
        users: Annotated[DatabaseAdapter, Depends(get_user_db)],
        products: Annotated[DatabaseAdapter, Depends(get_product_db)],
        analytics: Annotated[DatabaseAdapter, Depends(get_analytics_db)],
    ) -> None:
        seen.update(primary=primary, users=users, products=products, analytics=analytics)

    async with serve(built, router) as client:
        response = await client.get("/probe")
        assert response.status_code == 200, response.text
        named = await anext(get_db_adapter("users_db"))
        unknown = await anext(get_db_adapter("never_configured"))

    assert seen["primary"] is built.databases.default()
    assert seen["users"] is built.databases.users_db() is named
    assert seen["products"] is built.databases.products_db()
    assert seen["analytics"] is built.databases.default()  # not configured: the primary
    assert unknown is built.databases.default()


async def test_get_db_adapter_offers_no_query_parameter(tmp_path: Path) -> None:
    app = FastAPI()

    @app.get("/probe")
    async def probe(db: Annotated[DatabaseAdapter, Depends(get_db_adapter)]) -> None:
        pass

    assert app.openapi()["paths"]["/probe"]["get"].get("parameters", []) == []


async def test_a_controller_built_without_a_database_uses_the_primary(tmp_path: Path) -> None:
    built = container(sqlite_settings(tmp_path, users_db="users.db"))
    async with serve(built):
        controller = UserController()

    assert controller.db_adapter is built.databases.default()
    assert controller.model_name == "users"


def test_strict_databases_take_a_sharded_or_tenant_selected_name_as_configured() -> None:
    members = {name: {"DB_TYPE": "memory"} for name in ("products_db", "events_0", "events_1", "acme_db")}
    config = settings(
        DB_TYPE="memory",
        DATABASES=members,
        DATABASES_STRICT=True,
        SHARDS={"analytics_db": "events_0,events_1"},
        TENANTS={"acme": "acme_db"},
        TENANT_SELECTED="users_db",
    )

    built = container(config)

    assert set(built.databases.analytics_db().members) == {"events_0", "events_1"}
    assert set(built.databases.users_db().members) == {"acme"}
