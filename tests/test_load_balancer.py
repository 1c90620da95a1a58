"""Three instances of the service (`python -m app` processes) behind HAProxy, run with
docker/haproxy.cfg, keep every promise one instance keeps: read-your-writes across
instances while the replica is behind, the same tenant database and the same shard from
every instance, one winner per version of a conditional write, and no acknowledged write
lost when an instance is SIGKILLed under load (idempotent requests are retried on another
instance, the others fail visibly)."""

from __future__ import annotations

import asyncio
import random
import re
import subprocess
import sys
import time
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from uuid import UUID, uuid4

import asyncpg
import httpx
import pytest

from app.adapters.sharding.hashing import canonical, owner
from settings import DatabaseConfig
from tests.support.balancer import Cluster
from tests.support.haproxy import HAPROXY, SERVED_BY
from tests.support.process import service_environment
from tests.support.replication import PostgresPair
from tests.support.shards import where_stored
from tests.support.stored import column_values
from tests.test_replicas import replicated

pytestmark = pytest.mark.skipif(
    HAPROXY is None, reason="needs Debian's haproxy (apt-get install haproxy), the balancer under test"
)

TOKEN = "X-Consistency-Token"
CLOSED = 0  # the status of a request whose connection was closed with no answer
INSTANCES = 3
TENANT_DATABASES = {"acme": "acme_db", "globex": "globex_db"}
SHARDS = ("events_0", "events_1")


@dataclass
class Deployment:
    pair: PostgresPair
    cluster: Cluster
    databases: dict[str, dict[str, Any]] = field(default_factory=dict)  # name -> its config

    def config(self, name: str) -> DatabaseConfig:
        return DatabaseConfig.model_validate(self.databases[name])


def configuration(pair: PostgresPair) -> tuple[dict[str, dict[str, Any]], dict[str, str]]:
    """Each database's settings, and the environment of every instance: products on the
    primary with its streaming replica, users per tenant, events over two shards."""
    databases: dict[str, dict[str, Any]] = {}
    for name in ("products_db", *TENANT_DATABASES.values(), *SHARDS):
        database = "shop" if name == "products_db" else name
        if database != "shop":
            pair.sql(pair.primary_port, f"CREATE DATABASE {database} OWNER app")
        url = pair.url().rsplit("/", 1)[0] + f"/{database}"
        databases[name] = {"DB_TYPE": "postgres", "CONNECTION_STRING": url, "POOL_SIZE": 4, "MAX_OVERFLOW": 0}
    replica = {"READ_REPLICAS": f"127.0.0.1:{pair.standby_port}", "MAX_REPLICA_LAG_MS": 60_000}
    variables = {
        "DB_TYPE": "memory",
        "TENANT_SELECTED": "users_db",
        "TENANT_FROM": "header",
        "TENANT_SHARED": "products,events",
        "SHARDS__analytics_db": ",".join(SHARDS),
        **{f"TENANTS__{tenant}": database for tenant, database in TENANT_DATABASES.items()},
        **{
            f"DATABASES__{name}__{key}": str(value)
            for name, config in databases.items()
            for key, value in (config | (replica if name == "products_db" else {})).items()
        },
        "DATABASES__products_db__REPLICA_CHECK_INTERVAL": "0.1",
    }
    return databases, service_environment(**variables)


@pytest.fixture(scope="module")
def deployment(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployment]:
    try:
        pair = PostgresPair().start()
    except RuntimeError:  # a free port chosen can be taken before the server binds it: once more
        pair = PostgresPair().start()
    root = tmp_path_factory.mktemp("balanced")
    try:
        databases, env = configuration(pair)
        upgraded = _upgrade(env, root)
        assert upgraded.returncode == 0, upgraded.stdout + upgraded.stderr
        cluster = Cluster(env, root, INSTANCES)
        try:
            asyncio.run(cluster.start())
            yield Deployment(pair, cluster, databases)
        finally:
            asyncio.run(cluster.stop())
    finally:
        pair.stop()


def _upgrade(env: dict[str, str], root: Path) -> subprocess.CompletedProcess[str]:
    """`python -m app db upgrade`, once for every instance, as docker-compose's and
    Kubernetes' migration step runs it."""
    command = [sys.executable, "-m", "app", "db", "upgrade"]
    return subprocess.run(
        command, env=env, cwd=root, capture_output=True, text=True, timeout=300, check=False
    )


@pytest.fixture
async def client(deployment: Deployment) -> AsyncIterator[httpx.AsyncClient]:
    async with httpx.AsyncClient(base_url=deployment.cluster.url, timeout=30) as balanced:
        yield balanced


def served_by(response: httpx.Response) -> str:
    return response.headers[SERVED_BY]


async def create_product(client: httpx.AsyncClient, sku: str) -> httpx.Response:
    response = await client.post("/products", json={"sku": sku, "name": "old", "price": "1"})
    assert response.status_code == 201, response.text
    return response


async def test_a_write_through_one_instance_is_read_through_the_others_while_the_replica_is_behind(
    deployment: Deployment, client: httpx.AsyncClient
) -> None:
    first = (await create_product(client, f"ryw-a-{uuid4()}")).json()
    for port in deployment.cluster.ports.values():  # every instance reads it from the replica
        async with httpx.AsyncClient(base_url=f"http://127.0.0.1:{port}", timeout=30) as instance:
            await replicated(instance, first["id"])
    deployment.pair.pause_replay()
    try:
        written = await create_product(client, f"ryw-b-{uuid4()}")
        id, token, writer = written.json()["id"], written.headers[TOKEN], served_by(written)
        client.cookies.clear()  # the token also travels as a cookie: here only the header does

        with_token = [await client.get(f"/products/{id}", headers={TOKEN: token}) for _ in range(INSTANCES)]
        client.cookies.clear()
        without = [await client.get(f"/products/{id}") for _ in range(INSTANCES)]
    finally:
        deployment.pair.resume_replay()

    assert [r.status_code for r in with_token] == [200] * INSTANCES
    assert all(r.json() == written.json() for r in with_token)
    # Round robin: the reads went to every instance, the writer and the others alike.
    assert {served_by(r) for r in with_token} == set(deployment.cluster.ports)
    assert writer in deployment.cluster.ports
    # Without the token each instance read the replica, which had not replayed the write.
    assert [r.status_code for r in without] == [404] * INSTANCES
    assert {served_by(r) for r in without} == set(deployment.cluster.ports)


async def test_tenants_and_shards_route_identically_from_every_instance(
    deployment: Deployment, client: httpx.AsyncClient
) -> None:
    users: dict[str, list[str]] = {tenant: [] for tenant in TENANT_DATABASES}
    writers: set[str] = set()
    for i in range(2 * INSTANCES):
        tenant = list(TENANT_DATABASES)[i % 2]
        body = {"email": f"u{i}-{uuid4().hex[:8]}@example.com", "name": f"U{i}"}
        created = await client.post("/users", json=body, headers={"X-Tenant": tenant})
        assert created.status_code == 201, created.text
        users[tenant].append(created.json()["id"])
        writers.add(served_by(created))
    events = []
    for i in range(4 * INSTANCES):
        created = await client.post("/events", json={"type": f"e{i}"})
        assert created.status_code == 201, created.text
        events.append(UUID(created.json()["id"]))
        writers.add(served_by(created))
    assert writers == set(deployment.cluster.ports)

    # What each database holds, asked through its own driver.
    for tenant, database in TENANT_DATABASES.items():
        stored = {str(value) for value in await column_values(deployment.config(database), "users", "id")}
        other = next(t for t in TENANT_DATABASES if t != tenant)
        assert set(users[tenant]) <= stored
        assert not set(users[other]) & stored
    placed = await where_stored({name: deployment.databases[name] for name in SHARDS})
    assert {id: placed[id] for id in events} == {id: [owner(canonical(id), SHARDS)] for id in events}
    assert len({owner(canonical(id), SHARDS) for id in events}) == len(SHARDS)

    # And every instance reads each back from where it is, and from nowhere else.
    for tenant, ids in users.items():
        other = next(t for t in TENANT_DATABASES if t != tenant)
        for id in ids:
            mine = [await client.get(f"/users/{id}", headers={"X-Tenant": tenant}) for _ in range(INSTANCES)]
            theirs = [await client.get(f"/users/{id}", headers={"X-Tenant": other}) for _ in range(INSTANCES)]
            assert [r.status_code for r in mine] == [200] * INSTANCES
            assert [r.status_code for r in theirs] == [404] * INSTANCES
            assert {served_by(r) for r in mine} == set(deployment.cluster.ports)
    for event in events:
        reads = [await client.get(f"/events/{event}") for _ in range(INSTANCES)]
        assert [r.status_code for r in reads] == [200] * INSTANCES
        assert {served_by(r) for r in reads} == set(deployment.cluster.ports)


async def stored_row(config: DatabaseConfig, id: str) -> asyncpg.Record:
    url = config.CONNECTION_STRING.get_secret_value() if config.CONNECTION_STRING else ""
    connection = await asyncpg.connect(url)
    try:
        row = await connection.fetchrow("SELECT name, version FROM products WHERE id = $1", UUID(id))
        assert row is not None
        return row
    finally:
        await connection.close()


async def test_concurrent_conditional_patches_over_every_instance_win_once_per_version(
    deployment: Deployment, client: httpx.AsyncClient
) -> None:
    id = (await create_product(client, f"race-{uuid4()}")).json()["id"]
    primary = {"X-Read-From": "primary"}
    for round in range(3):
        before = await stored_row(deployment.config("products_db"), id)
        tag = (await client.get(f"/products/{id}", headers=primary)).headers["etag"]
        assert tag == f'"{before["version"]}"'
        answers = await asyncio.gather(
            *(
                client.patch(f"/products/{id}", json={"name": f"r{round}-w{i}"}, headers={"If-Match": tag})
                for i in range(50)
            )
        )
        statuses = Counter(answer.status_code for answer in answers)
        assert statuses == {200: 1, 412: 49}, statuses
        assert {served_by(answer) for answer in answers} == set(deployment.cluster.ports)
        (winner,) = [answer for answer in answers if answer.status_code == 200]
        stored = await stored_row(deployment.config("products_db"), id)
        assert (stored["name"], f'"{stored["version"]}"') == (winner.json()["name"], winner.headers["etag"])
        assert stored["version"] == before["version"] + 1


@dataclass
class Answer:
    method: str
    sku: str | None
    status: int  # CLOSED: the connection was closed with no answer
    by: str | None
    at: float


async def load(url: str, ids: list[str], token: str, prefix: str, stop: asyncio.Event) -> list[Answer]:
    """GETs (of `ids`, written before `token`) and POSTs from 12 clients at once until
    `stop`: every answer, with when it came. Half keep their connections alive, half open
    one per request (each request the first of its connection, which HAProxy answers 502
    when its instance dies under it)."""
    answers: list[Answer] = []
    kept = httpx.AsyncClient(base_url=url, timeout=30)
    fresh = httpx.AsyncClient(base_url=url, timeout=30, limits=httpx.Limits(max_keepalive_connections=0))

    async def worker(number: int, client: httpx.AsyncClient) -> None:
        sent = 0
        while not stop.is_set():
            sent += 1
            sku = None
            try:
                if sent % 2:
                    response = await client.get(f"/products/{ids[sent % len(ids)]}", headers={TOKEN: token})
                else:
                    sku = f"{prefix}-{number}-{sent}"
                    response = await client.post("/products", json={"sku": sku, "name": "n", "price": "1"})
                status, by = response.status_code, response.headers.get(SERVED_BY)
            except httpx.RemoteProtocolError:  # closed with no answer (see docker/haproxy.cfg)
                status, by = CLOSED, None
            answers.append(Answer("POST" if sku else "GET", sku, status, by, time.monotonic()))

    async with kept, fresh:
        await asyncio.gather(*(worker(number, (kept, fresh)[number % 2]) for number in range(12)))
    return answers


@pytest.mark.parametrize("seed", [11, 22, 33, 44])
async def test_an_instance_killed_under_load_loses_no_acknowledged_write(
    deployment: Deployment, client: httpx.AsyncClient, seed: int, figure: Callable[[str], None]
) -> None:
    cluster = deployment.cluster
    await cluster.revive()  # a failure of a test before must not fail this one too
    chance = random.Random(seed)
    victim = chance.choice(sorted(cluster.ports))
    survivors = set(cluster.ports) - {victim}
    created = [await create_product(client, f"kill-seed-{seed}-{i}-{uuid4()}") for i in range(4)]
    ids, token = [c.json()["id"] for c in created], created[-1].headers[TOKEN]
    prefix = f"kill-{seed}-{uuid4().hex[:8]}"
    logged_before = len(cluster.balancer_log())

    stop = asyncio.Event()
    started = time.monotonic()
    running = asyncio.create_task(load(cluster.url, ids, token, prefix, stop))
    await asyncio.sleep(chance.uniform(0.2, 1.5))  # a seeded moment in the load
    cluster.kill(victim)
    killed_at = time.monotonic()
    await asyncio.sleep(3)
    stop.set()
    answers = await running

    gets = [a for a in answers if a.method == "GET"]
    posts = [a for a in answers if a.method == "POST"]
    # Idempotent requests were retried on another instance: not one failed, but for one
    # whose answer had begun when the instance died (HAProxy's log says SD: the server
    # aborted during the data). No balancer can replay those: its client sees the
    # connection closed, never a wrong answer.
    cut_mid_answer = [
        line
        for line in cluster.balancer_log()[logged_before:]
        if re.search(rf"app/{victim} \S+ \d+ \d+ - - SD", line) and '"GET ' in line
    ]
    closed_gets = sum(a.status == CLOSED for a in gets)
    assert Counter(a.status for a in gets) == Counter({200: len(gets) - closed_gets, CLOSED: closed_gets})
    assert closed_gets <= len(cut_mid_answer), cut_mid_answer
    # Writes were acknowledged, or failed visibly: 502/503, or (a later request of a
    # kept-alive connection, see docker/haproxy.cfg) the connection closed with no answer.
    assert {a.status for a in posts} <= {201, 502, 503, CLOSED}, Counter(a.status for a in posts)
    acknowledged = Counter(a.sku for a in posts if a.status == 201)
    stored = Counter(
        str(sku)
        for sku in await column_values(deployment.config("products_db"), "products", "sku")
        if str(sku).startswith(prefix)
    )
    assert acknowledged  # the load wrote
    assert not set(acknowledged) - set(stored), "acknowledged writes lost"
    assert max(stored.values()) == 1  # and none was written twice by a replay
    # The survivors went on serving: after HAProxy's checks took the victim out (at most
    # fall 2 x fastinter 250ms after its first failed check, 1 s), only they answered.
    late = [a for a in answers if a.at > killed_at + 2]
    assert late
    assert {a.by for a in late} <= survivors
    assert {a.status for a in late} <= {200, 201}
    # HAProxy's own log: requests sent to the dead instance went to another one.
    retried = [line for line in cluster.balancer_log()[logged_before:] if "/+" in line]
    assert retried, "no request was redispatched"
    failed = Counter(a.status for a in posts if a.status != 201)
    figure(
        f"{victim} killed {killed_at - started:.2f}s into the load: {len(gets)} GETs all 200, "
        f"{len(retried)} requests redispatched, {len(acknowledged)} POSTs acknowledged and stored, "
        f"{failed[502] + failed[503]} answered 502/503, {failed[CLOSED]} closed with no answer"
    )

    await cluster.start_instance(victim)  # back on its port, for the next seed
    await cluster.until_in_rotation(set(cluster.ports))


async def test_requests_in_flight_on_a_dying_instance_are_retried_if_safe_else_answered_502(
    deployment: Deployment, client: httpx.AsyncClient
) -> None:
    """Requests caught inside an instance when it dies, made certain by freezing it first:
    each one the first of its connection, as a client without keep-alive sends them."""
    cluster = deployment.cluster
    await cluster.revive()  # a failure of a test before must not fail this one too
    victim = sorted(cluster.ports)[0]
    created = await create_product(client, f"frozen-{uuid4()}")
    id, token = created.json()["id"], created.headers[TOKEN]
    prefix = f"frozen-{uuid4().hex[:8]}"
    limits = httpx.Limits(max_keepalive_connections=0)
    async with httpx.AsyncClient(base_url=cluster.url, timeout=60, limits=limits) as fresh:
        cluster.freeze(victim)
        bodies = [{"sku": f"{prefix}-{i}", "name": "n", "price": "1"} for i in range(2 * INSTANCES)]
        posts = [asyncio.create_task(fresh.post("/products", json=body)) for body in bodies]
        gets = [asyncio.create_task(fresh.get(f"/products/{id}", headers={TOKEN: token})) for _ in bodies]
        await asyncio.sleep(1)  # the others have answered by now; the frozen one holds its share
        caught_posts = [i for i, task in enumerate(posts) if not task.done()]
        caught_gets = [task for task in gets if not task.done()]
        cluster.kill(victim)
        answered = await asyncio.gather(*posts)
        got = await asyncio.gather(*gets)

    assert caught_posts
    assert caught_gets
    assert [answered[i].status_code for i in caught_posts] == [502] * len(caught_posts)
    assert {a.status_code for i, a in enumerate(answered) if i not in caught_posts} == {201}
    assert [r.status_code for r in got] == [200] * len(got)  # caught ones too: retried elsewhere
    assert victim not in {served_by(r) for r in got}
    stored = {str(sku) for sku in await column_values(deployment.config("products_db"), "products", "sku")}
    assert {f"{prefix}-{i}" for i in range(len(posts)) if i not in caught_posts} <= stored
    # Frozen before it read them, the victim wrote none of the ones answered 502 (in general
    # a 502 cannot say whether the write was made: ask again with If-Match, or read first).
    assert not {f"{prefix}-{i}" for i in caught_posts} & stored

    await cluster.start_instance(victim)
    await cluster.until_in_rotation(set(cluster.ports))
