"""`?expand=` across three real databases: events on PostgreSQL refer to users on the
MongoDB-compatible test server (behind a proxy the tests can cut) and to products on
MariaDB. What each database receives is counted on its own side: each SQL adapter's
statements as it sends them, the server's own opcounters for MongoDB."""

from __future__ import annotations

import asyncio
from collections import Counter
from collections.abc import AsyncIterator, Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass, field, replace
from typing import Any
from urllib.parse import urlsplit, urlunsplit
from uuid import uuid4

import httpx
import pytest
from dependency_injector import providers
from pymongo import MongoClient

from app.api.expanded import expanded_read_model
from app.controllers.base import BaseController
from app.models import EVENTS, Relation
from containers import Container
from settings import ConfigurationError
from tests.contract.helpers import create, problem
from tests.support import backends, served
from tests.support.proxy import Proxy
from tests.support.service import container, serve, settings

USERS, PRODUCTS, PAGE = 20, 10, 50
EXPAND = {"expand": "user,product"}


@dataclass
class World:
    client: httpx.AsyncClient
    built: Any
    proxy: Proxy
    mongo: MongoClient[dict[str, Any]]
    users: dict[str, dict[str, Any]]
    products: dict[str, dict[str, Any]]
    events: dict[str, dict[str, Any]]  # by type: "page-<n>", "no-user", "dangling"
    statements: list[tuple[str, str]] = field(default_factory=list)  # (database, SQL)

    def queries_on_users_server(self) -> Counter[str]:
        counters: dict[str, int] = self.mongo.admin.command("serverStatus")["opcounters"]
        return Counter(counters)

    def statements_on(self, database: str) -> list[str]:
        return [sql for name, sql in self.statements if name == database]


def through(proxy: Proxy, url: str) -> str:
    """`url` with its host replaced by the proxy's address."""
    parts = urlsplit(url)
    credentials = parts.netloc.rpartition("@")[0]
    netloc = f"{credentials}@" if credentials else ""
    query = "&".join(filter(None, [parts.query, "directConnection=true"]))
    return urlunsplit(parts._replace(netloc=f"{netloc}127.0.0.1:{proxy.port}", query=query))


@pytest.fixture(scope="module")
async def world(postgres_url: str, mysql_url: str, mongodb_url: str) -> AsyncIterator[World]:
    events_url, products_url = (
        backends.sibling(postgres_url, "expansion"),
        backends.sibling(mysql_url, "expansion"),
    )
    await backends.recreate_postgres_database(events_url)
    await backends.recreate_mysql_database(products_url)
    users_database = backends.sibling(postgres_url, "users").rsplit("/", 1)[-1]
    mongo: MongoClient[dict[str, Any]] = MongoClient(mongodb_url, uuidRepresentation="standard")
    mongo.drop_database(users_database)
    target = urlsplit(mongodb_url)
    proxy = Proxy(target.hostname or "127.0.0.1", target.port or 27017)
    await proxy.up()
    users_db = {
        "DB_TYPE": "mongodb",
        "CONNECTION_STRING": through(proxy, mongodb_url),
        "DB_NAME": users_database,
        "CONNECT_TIMEOUT": 1,
        "QUERY_TIMEOUT": 5,
    }
    config = settings(
        DB_TYPE="memory",
        DATABASES={
            "users_db": users_db,
            "products_db": {"DB_TYPE": "mysql", "CONNECTION_STRING": products_url},
            "analytics_db": {"DB_TYPE": "postgres", "CONNECTION_STRING": events_url},
        },
    )
    built = container(config)
    try:
        async with serve(built) as client:
            world = World(client, built, proxy, mongo, *await _populate(client))
            stops = [
                getattr(built.databases, name)().listen(_recorder(world, name)) for name in SQL_DATABASES
            ]
            yield world
            for stop in stops:
                stop()
    finally:
        await proxy.close()
        mongo.close()


SQL_DATABASES = ("analytics_db", "products_db")


def _recorder(world: World, database: str) -> Any:
    def record(statement: str) -> None:
        world.statements.append((database, statement))

    return record


async def _populate(client: httpx.AsyncClient) -> tuple[dict[str, Any], dict[str, Any], dict[str, Any]]:
    users = [await create(client, "/users", email=f"u{i}@example.com", name=f"U{i}") for i in range(USERS)]
    products = [
        await create(client, "/products", sku=f"sku-{i}", name=f"P{i}", price=f"{i}.50")
        for i in range(PRODUCTS)
    ]
    events = {}
    for i in range(PAGE):
        user, product = users[i % USERS], products[i % PRODUCTS]
        events[f"page-{i}"] = await create(
            client, "/events", type="page", user_id=user["id"], product_id=product["id"]
        )
    events["no-user"] = await create(client, "/events", type="odd", product_id=products[0]["id"])
    gone = await create(client, "/users", email="gone@example.com", name="Gone")
    assert (await client.delete(f"/users/{gone['id']}")).status_code == 204
    events["dangling"] = await create(
        client, "/events", type="odd", user_id=gone["id"], product_id=str(uuid4())
    )
    return {u["id"]: u for u in users}, {p["id"]: p for p in products}, events


@contextmanager
def loads_recorded(built: Any) -> Iterator[list[str]]:
    """The users and products controllers, as the container binds them, with each
    get_many noting when it starts and when it has its answer."""
    log: list[str] = []

    def recording(provider: Any) -> providers.Factory[Any]:
        class Recording(provider.cls):  # type: ignore[misc]
            async def get_many(self, ids: Any) -> Any:
                log.append(f"{self.resource.name} started")
                try:
                    return await super().get_many(ids)
                finally:
                    log.append(f"{self.resource.name} finished")

        return providers.Factory(Recording, **provider.kwargs)

    with ExitStack() as stack:
        for provider in (built.users, built.products):
            assert issubclass(provider.cls, BaseController)
            stack.enter_context(provider.override(recording(provider)))
        yield log


def assert_embedded(world: World, event: dict[str, Any]) -> None:
    assert event["user"] == world.users[event["user_id"]]
    assert event["product"] == world.products[event["product_id"]]


async def test_a_page_embeds_each_events_user_and_product(world: World) -> None:
    response = await world.client.get("/events", params={**EXPAND, "type": "page", "limit": PAGE})

    assert response.status_code == 200, response.text
    assert "x-expand-failed" not in response.headers
    items = response.json()["items"]
    assert len(items) == PAGE
    for item in items:
        assert_embedded(world, item)


async def test_one_event_embeds_what_it_refers_to_and_only_what_was_asked(world: World) -> None:
    event = world.events["page-7"]

    both = (await world.client.get(f"/events/{event['id']}", params=EXPAND)).json()
    user_only = (await world.client.get(f"/events/{event['id']}", params={"expand": "user"})).json()
    plain = (await world.client.get(f"/events/{event['id']}")).json()

    assert_embedded(world, both)
    assert {key: both[key] for key in event} == event
    assert user_only["user"] == world.users[event["user_id"]]
    assert "product" not in user_only
    assert plain == event


async def test_a_null_or_dangling_reference_embeds_null(world: World) -> None:
    no_user, dangling = world.events["no-user"], world.events["dangling"]

    listed = (await world.client.get("/events", params={**EXPAND, "type": "odd"})).json()["items"]
    one = (await world.client.get(f"/events/{dangling['id']}", params=EXPAND)).json()

    by_id = {item["id"]: item for item in listed}
    assert by_id[no_user["id"]]["user"] is None
    assert by_id[no_user["id"]]["product"] == world.products[no_user["product_id"]]
    assert by_id[dangling["id"]]["user"] is None
    assert by_id[dangling["id"]]["product"] is None
    assert one["user"] is None
    assert one["product"] is None


async def test_a_page_costs_one_query_per_referenced_database_and_they_run_at_once(world: World) -> None:
    before = world.queries_on_users_server()
    world.statements.clear()

    with loads_recorded(world.built) as log:
        response = await world.client.get("/events", params={**EXPAND, "type": "page", "limit": PAGE})

    assert response.status_code == 200, response.text
    used = world.queries_on_users_server() - before
    assert (used["query"], used["getmore"]) == (1, 0)  # one find, all 20 users in its first batch
    (products_sql,) = world.statements_on("products_db")
    assert " IN (" in products_sql
    assert len(world.statements_on("analytics_db")) == 2  # the page and its total
    # Each load notes its start before it awaits the database: when both starts come
    # before either answer, the second was sent while the first was still out.
    assert sorted(log[:2]) == ["products started", "users started"], log
    assert sorted(log[2:]) == ["products finished", "users finished"], log


async def test_an_unknown_relation_is_422_naming_the_relations_and_queries_nothing(world: World) -> None:
    before = world.queries_on_users_server()
    world.statements.clear()
    event = world.events["page-0"]

    listed = await world.client.get("/events", params={"expand": "user,owner"})
    one = await world.client.get(f"/events/{event['id']}", params={"expand": "owner"})

    for response in (listed, one):
        (error,) = problem(response, 422)["errors"]
        assert error["field"] == "expand"
        assert "'owner'" in error["message"]
        assert "user, product" in error["message"]
    assert world.statements == []
    assert (world.queries_on_users_server() - before)["query"] == 0


@pytest.mark.parametrize("failure", ["down", "hang"])
async def test_users_database_unavailable_leaves_user_null_and_says_so_or_503_when_strict(
    world: World, failure: str
) -> None:
    event = world.events["page-3"]
    await world.proxy.down()  # also cuts the connections already open
    if failure == "hang":
        await world.proxy.hang()
    try:
        listed = await world.client.get("/events", params={**EXPAND, "type": "page", "limit": PAGE})
        one = await world.client.get(f"/events/{event['id']}", params=EXPAND)
        strict = await world.client.get("/events", params={**EXPAND, "expand_strict": "true"})
        strict_one = await world.client.get(
            f"/events/{event['id']}", params={**EXPAND, "expand_strict": "true"}
        )
    finally:
        await world.proxy.down()
        await world.proxy.up()

    for response in (listed, one):
        assert response.status_code == 200, response.text
        assert response.headers["x-expand-failed"] == "user"
    items = listed.json()["items"]
    assert len(items) == PAGE
    for item in [*items, one.json()]:
        assert item["user"] is None
        assert item["product"] == world.products[item["product_id"]]
    for response in (strict, strict_one):
        detail = problem(response, 503)["detail"]
        assert "users_db" in detail
        assert "'user'" in detail
        assert response.headers["retry-after"]
    await until_users_expand_again(world)


async def until_users_expand_again(world: World) -> None:
    """Bring the state back for the tests that follow: a bounded poll, not a wait."""
    event = world.events["page-0"]
    for _ in range(100):
        response = await world.client.get(f"/events/{event['id']}", params=EXPAND)
        if "x-expand-failed" not in response.headers:
            assert_embedded(world, response.json())
            return
        await asyncio.sleep(0.1)
    raise AssertionError("users never expanded again after the proxy came back")


@pytest.mark.parametrize(
    ("relation", "message"),
    [
        (Relation(name="owner", field="owner_id", target="users"), "no column 'owner_id'"),
        (Relation(name="type", field="user_id", target="users"), "has the name of a field"),
    ],
)
def test_a_relation_that_cannot_work_is_refused_when_declared(relation: Relation, message: str) -> None:
    with pytest.raises(ValueError, match=message):
        replace(EVENTS, relations=(relation,))


def test_a_relation_to_no_resource_is_refused_when_its_routes_are_built() -> None:
    orphan = replace(EVENTS, relations=(Relation(name="user", field="user_id", target="people"),))

    with pytest.raises(ValueError, match="no resource 'people'"):
        expanded_read_model(orphan, {resource.name: resource for resource in served.resources()})


def test_a_relation_to_a_resource_no_controller_serves_stops_the_start() -> None:
    class Partial(Container):
        # events relate to products, which nothing serves now
        products = providers.Object(None)  # type: ignore[assignment,var-annotated]

    with pytest.raises(ConfigurationError, match=r"events\.product -> products"):
        Partial(settings=providers.Object(settings(DB_TYPE="memory")))
