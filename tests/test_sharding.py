"""analytics_db (events) sharded over two PostgreSQL databases and one MariaDB database:
by-id requests reach the one shard that owns the id, lists are what one database would
answer, and a shard that is down costs 503 for its own keys or a partial list when the
caller asks for one."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from dataclasses import dataclass, replace
from datetime import UTC, datetime, timedelta
from typing import Any
from uuid import UUID

import httpx
import pytest
from sqlalchemy import make_url
from uuid_utils.compat import uuid7

from app.adapters.interface import DatabaseAdapter, ListQuery
from app.adapters.sharding.adapter import ShardedAdapter
from app.adapters.sharding.hashing import canonical, owner
from app.adapters.sql.adapter import SQLAdapter
from app.api.queries import list_params_model
from app.controllers.events import EventController
from app.errors import Invalid
from app.models.events import EVENTS, Event
from settings import DatabaseConfig
from tests.contract.helpers import problem
from tests.support.proxy import Proxy
from tests.support.service import container, serve, settings
from tests.support.shards import Statements, fresh_databases, where_stored

SHARDS = ("events_0", "events_1", "events_2")
KINDS = {"events_0": "postgres", "events_1": "postgres", "events_2": "mysql", "single": "postgres"}
TYPES = ["alpha", "Alpha", "beta", "B", "b", "Ä", "é", "z", "Z", "ß", "a b", "a-b", "ab", "日本"]
EVENTS_BY_USER = replace(EVENTS, shard_key="user_id")


@dataclass
class Sharded:
    client: httpx.AsyncClient
    adapter: ShardedAdapter
    reference: DatabaseAdapter  # one PostgreSQL database, to hold the same rows
    statements: Statements
    configs: dict[str, dict[str, Any]]
    proxy: Proxy

    @property
    def members(self) -> dict[str, DatabaseAdapter]:
        return dict(self.adapter.members)


@pytest.fixture(scope="module")
def databases(postgres_url: str, mysql_url: str) -> dict[str, dict[str, Any]]:
    return fresh_databases(postgres_url, mysql_url, KINDS)


@pytest.fixture(scope="module")
async def sharded(databases: dict[str, dict[str, Any]]) -> AsyncIterator[Sharded]:
    configs = databases
    events_1 = make_url(configs["events_1"]["CONNECTION_STRING"])
    proxy = Proxy(events_1.host or "127.0.0.1", events_1.port or 5432)  # the tests' own server's too
    await proxy.up()
    through_proxy = {
        **configs["events_1"],
        "CONNECTION_STRING": events_1.set(port=proxy.port).render_as_string(hide_password=False),
    }
    shards = {**{name: configs[name] for name in SHARDS}, "events_1": through_proxy}
    sharded_config = settings(DB_TYPE="memory", DATABASES=shards, SHARDS={"analytics_db": ",".join(SHARDS)})
    service = container(sharded_config)
    # Not a second app: one process serves one wired container at a time.
    reference = SQLAdapter(
        "single", DatabaseConfig.model_validate({**configs["single"], "AUTO_MIGRATE": True})
    )
    reference.resources = (EVENTS,)
    await reference.connect()
    await reference.check_schema()
    async with serve(service) as client:
        adapter = service.databases.analytics_db()
        assert isinstance(adapter, ShardedAdapter)
        members = dict(adapter.members)
        yield Sharded(client, adapter, reference, Statements(members), configs, proxy)
    await reference.disconnect()
    await proxy.close()


@pytest.fixture
async def empty(sharded: Sharded) -> Sharded:
    for database in [*sharded.members.values(), sharded.reference]:
        async with database.engine.begin() as connection:  # type: ignore[attr-defined]
            await connection.execute(EVENTS.table.delete())
    sharded.statements.reset()
    return sharded


def rows(count: int, seed: int = 5) -> list[dict[str, Any]]:
    """Events with repeated and null values, mixed case and non-ASCII text, and equal
    timestamps, so that sorting and tie-breaking have work to do."""
    pick = random.Random(seed)
    users = [UUID(int=pick.getrandbits(128)) for _ in range(4)]
    start = datetime(2026, 1, 1, tzinfo=UTC)
    made = []
    for i in range(count):
        created = start + timedelta(milliseconds=pick.randrange(40))
        made.append(
            {
                "id": uuid7(),
                "type": pick.choice(TYPES),
                "user_id": pick.choice([None, *users]),
                "product_id": pick.choice([None, None, UUID(int=pick.getrandbits(128))]),
                "properties": {"i": i},
                "occurred_at": start + timedelta(seconds=pick.randrange(10)),
                "created_at": created,
                "updated_at": created + timedelta(milliseconds=pick.randrange(3)),
                "version": pick.randrange(1, 4),
            }
        )
    return made


async def load(sharded: Sharded, made: list[dict[str, Any]]) -> None:
    for row in made:
        await sharded.adapter.insert(EVENTS, row)
        await sharded.reference.insert(EVENTS, row)


async def single_database_answer(database: DatabaseAdapter, params: dict[str, Any]) -> dict[str, Any]:
    """What GET /events answers with `params` when events are in `database` alone."""
    parsed = list_params_model(EVENTS).model_validate(params)
    page = await EventController(db_adapter=database).list(parsed)
    items = [Event.model_validate(row).model_dump(mode="json") for row in page.items]
    return {"items": items, "total": page.total, "limit": parsed.limit, "offset": parsed.offset}  # type: ignore[attr-defined]


async def test_a_list_is_what_one_database_answers_for_the_same_rows(empty: Sharded) -> None:
    made = rows(90)
    await load(empty, made)
    placed = await where_stored({name: empty.configs[name] for name in SHARDS})
    assert {name for names in placed.values() for name in names} == set(SHARDS)  # every shard holds some
    users = sorted({str(row["user_id"]) for row in made if row["user_id"]})
    sorts = [None, "type", "-type", "user_id", "-user_id", "product_id,-type", "-occurred_at,type"]
    sorts += ["occurred_at", "version,-created_at", "-updated_at", "id", "-id", "created_at,-id"]
    filters: list[dict[str, str]] = [{}, {"type": "beta"}, {"type": "Ä"}, {"user_id": users[0]}]
    pick = random.Random(11)
    compared = 0
    for sort in sorts:
        for where in filters:
            for _ in range(4):
                params: dict[str, Any] = {"limit": pick.choice([1, 5, 20, 100])}
                params |= {"offset": pick.choice([0, 1, 7, 40, 89, 95])}
                params |= {"sort": sort} if sort else {}
                params |= where
                got = await empty.client.get("/events", params=params)
                assert got.status_code == 200, got.text
                assert got.json() == await single_database_answer(empty.reference, params), params
                assert "X-Partial-Results" not in got.headers
                compared += 1
    assert compared == len(sorts) * len(filters) * 4


async def test_by_id_requests_reach_only_the_shard_that_owns_the_id(empty: Sharded) -> None:
    for i in range(12):
        empty.statements.reset()
        response = await empty.client.post("/events", json={"type": "own", "properties": {"i": i}})
        assert response.status_code == 201, response.text
        id = UUID(response.json()["id"])
        home = owner(canonical(id), SHARDS)
        assert empty.statements.touched() == {home}
        assert (await where_stored({n: empty.configs[n] for n in SHARDS}))[id] == [home]

        for request in (
            empty.client.get(f"/events/{id}"),
            empty.client.patch(f"/events/{id}", json={"type": "patched"}),
            empty.client.put(f"/events/{id}", json={"type": "replaced", "properties": {}}),
        ):
            empty.statements.reset()
            assert (await request).status_code == 200
            assert empty.statements.touched() == {home}, empty.statements.counts


async def test_a_delete_is_done_on_the_owner_and_sweeps_leftover_copies_elsewhere(empty: Sharded) -> None:
    created = await empty.client.post("/events", json={"type": "gone"})
    id = UUID(created.json()["id"])
    home = owner(canonical(id), SHARDS)
    empty.statements.reset()
    assert (await empty.client.delete(f"/events/{id}")).status_code == 204
    assert empty.statements.counts[home] >= 1
    assert empty.statements.touched() == set(SHARDS)  # one DELETE each on the others, for leftovers
    assert id not in await where_stored({n: empty.configs[n] for n in SHARDS})
    problem(await empty.client.get(f"/events/{id}"), 404)


async def test_get_many_asks_each_shard_once(empty: Sharded) -> None:
    made = rows(30)
    await load(empty, made)
    empty.statements.reset()
    ids = [row["id"] for row in made]
    found = await empty.adapter.get_many(EVENTS, ids)  # SQL's _get_many: the expansion branch
    assert set(found) == set(ids)
    assert empty.statements.counts == {name: 1 for name in SHARDS}


async def test_a_shard_key_other_than_the_id(empty: Sharded) -> None:
    """Sharded by user_id: a row goes to its user's shard (a null user: its id's), a
    list filtered on the user asks that shard alone, a by-id request asks every shard,
    and the user of a row cannot change."""
    made = rows(40, seed=8)
    for row in made:
        await empty.adapter.insert(EVENTS_BY_USER, row)
    placed = await where_stored({n: empty.configs[n] for n in SHARDS})
    for row in made:
        key = row["user_id"] or row["id"]
        assert placed[row["id"]] == [owner(canonical(key), SHARDS)]

    user = next(row["user_id"] for row in made if row["user_id"])
    empty.statements.reset()
    page = await empty.adapter.list(EVENTS_BY_USER, ListQuery(filters={"user_id": user}, limit=100))
    assert {row["id"] for row in page.items} == {row["id"] for row in made if row["user_id"] == user}
    assert page.total == len(page.items)
    assert empty.statements.touched() == {owner(canonical(user), SHARDS)}

    target = next(row for row in made if row["user_id"] == user)
    empty.statements.reset()
    assert (await empty.adapter.get(EVENTS_BY_USER, target["id"]))["id"] == target["id"]
    assert empty.statements.touched() == set(SHARDS)
    updated = await empty.adapter.update(EVENTS_BY_USER, target["id"], {"type": "kept", "user_id": user})
    assert updated["type"] == "kept"
    with pytest.raises(Invalid, match="user_id is the shard key of events"):
        await empty.adapter.update(EVENTS_BY_USER, target["id"], {"user_id": uuid7()})
    await empty.adapter.delete(EVENTS_BY_USER, target["id"])
    assert target["id"] not in await where_stored({n: empty.configs[n] for n in SHARDS})


async def test_offsets_past_the_window_are_refused(empty: Sharded) -> None:
    body = problem(await empty.client.get("/events", params={"offset": 9_950, "limit": 100}), 422)
    assert "offset + limit may not exceed 10000" in body["detail"]
    assert (await empty.client.get("/events", params={"offset": 9_900, "limit": 100})).status_code == 200


async def test_a_unit_of_work_cannot_span_shards(empty: Sharded) -> None:
    events = EventController(db_adapter=empty.adapter)
    with pytest.raises(TypeError, match="analytics_db is sharded: a unit of work cannot span its databases"):
        async with events.transaction():
            pass


async def test_a_shard_that_is_down(empty: Sharded) -> None:
    made = rows(45, seed=3)
    await load(empty, made)
    down = {row["id"] for row in made if owner(canonical(row["id"]), SHARDS) == "events_1"}
    up = [row["id"] for row in made if row["id"] not in down]
    assert down
    assert up
    await empty.proxy.down()
    try:
        problem(await empty.client.get(f"/events/{next(iter(down))}"), 503)
        problem(await empty.client.patch(f"/events/{next(iter(down))}", json={"type": "x"}), 503)
        assert (await empty.client.get(f"/events/{up[0]}")).status_code == 200
        body = problem(await empty.client.get("/events"), 503)
        assert "events_1" in body["detail"]

        partial = await empty.client.get("/events", params={"allow_partial": "true", "limit": 100})
        assert partial.status_code == 200, partial.text
        assert partial.headers["X-Partial-Results"] == "missing=events_1"
        assert {UUID(item["id"]) for item in partial.json()["items"]} == set(up)
        assert partial.json()["total"] == len(up)
    finally:
        await empty.proxy.up()
    whole = await empty.client.get("/events", params={"allow_partial": "true", "limit": 100})
    for _ in range(50):  # the pool drops its dead connections on first use
        if whole.status_code == 200:
            break
        whole = await empty.client.get("/events", params={"allow_partial": "true", "limit": 100})
    assert whole.status_code == 200
    assert "X-Partial-Results" not in whole.headers
    assert whole.json()["total"] == len(made)


async def test_allow_partial_is_harmless_on_an_unsharded_database(empty: Sharded) -> None:
    page = await empty.reference.list(EVENTS, ListQuery(allow_partial=True))
    assert page.missing == ()


async def test_openapi_documents_allow_partial_and_its_header(empty: Sharded) -> None:
    spec = (await empty.client.get("/openapi.json")).json()
    operation = spec["paths"]["/events"]["get"]
    assert "allow_partial" in {parameter["name"] for parameter in operation["parameters"]}
    assert "X-Partial-Results" in operation["responses"]["200"]["headers"]


async def test_a_row_on_two_shards_mid_move_is_listed_once(empty: Sharded) -> None:
    made = rows(12)
    await load(empty, made)
    moving = made[0]
    elsewhere = next(name for name in SHARDS if name != owner(canonical(moving["id"]), SHARDS))
    await empty.members[elsewhere].insert(
        EVENTS, moving
    )  # its copy, the old shard's delete not yet committed

    listed = (await empty.client.get("/events", params={"limit": 100, "sort": "id"})).json()

    assert [item["id"] for item in listed["items"]] == sorted(str(row["id"]) for row in made)
    assert listed["total"] == len(made) + 1  # the shards' own counts: documented
