"""A fourth shard (SQLite) joins two PostgreSQL shards and a MariaDB shard, and
`python -m app shards rebalance` moves the rows it now owns, while the service serves:
killed half-way and run again, it leaves every row exactly once, on its owner, and no
read or write through the service missed a row meanwhile."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from uuid import UUID

import asyncpg
import httpx
import pytest
from sqlalchemy import make_url
from uuid_utils.compat import uuid7

from app.adapters.memory import InMemoryAdapter
from app.adapters.sharding.adapter import ShardedAdapter
from app.adapters.sharding.hashing import canonical, owner
from app.adapters.sharding.moves import move
from app.adapters.sharding.rebalance import Batch, rebalance
from app.models.events import EVENTS
from app.models.users import USERS
from tests.support.service import container, serve, settings
from tests.support.shards import fresh_databases, where_stored

OLD = ("events_0", "events_1", "events_2")
NEW = (*OLD, "events_3")
ROOT = Path(__file__).resolve().parents[1]


@pytest.fixture
def members(postgres_url: str, mysql_url: str, tmp_path: Path) -> dict[str, dict[str, Any]]:
    """Fresh shards: events_0..2 on PostgreSQL, MariaDB, PostgreSQL; events_3 on SQLite."""
    kinds = {"rebalance_0": "postgres", "rebalance_1": "mysql", "rebalance_2": "postgres"}
    made = fresh_databases(postgres_url, mysql_url, kinds)
    shards = {name: made[database] for name, database in zip(OLD, kinds, strict=True)}
    return {**shards, "events_3": {"DB_TYPE": "sqlite", "DB_NAME": str(tmp_path / "events_3.db")}}


def sharded_over(members: dict[str, dict[str, Any]], names: tuple[str, ...]) -> Any:
    databases = {name: members[name] for name in names}
    return container(
        settings(DB_TYPE="memory", DATABASES=databases, SHARDS={"analytics_db": ",".join(names)})
    )


def environment(members: dict[str, dict[str, Any]], names: tuple[str, ...]) -> dict[str, str]:
    """The variables that configure the same shards for `python -m app`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASES", "SHARDS"))}
    env |= {"DB_TYPE": "memory", "AUTO_MIGRATE": "true", "SHARDS__analytics_db": ",".join(names)}
    env["PYTHONPATH"] = os.pathsep.join([str(ROOT), env.get("PYTHONPATH", "")])
    for name in names:
        env |= {f"DATABASES__{name}__{key}": str(value) for key, value in members[name].items()}
    return env


async def shards_command(env: dict[str, str], cwd: Path, *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        "shards",
        *args,
        env=env,
        cwd=cwd,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def finished(process: asyncio.subprocess.Process) -> tuple[int, str, str]:
    out, err = await asyncio.wait_for(process.communicate(), timeout=120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


@dataclass
class Traffic:
    """Reads every row by id, and changes some of those about to move, until stopped."""

    client: httpx.AsyncClient
    ids: list[UUID]
    moving: list[UUID]
    misses: list[tuple[UUID, int]] = field(default_factory=list)
    reads: int = 0
    acknowledged: dict[UUID, int] = field(default_factory=dict)  # id -> the last change acknowledged
    stopped: bool = False

    async def run(self) -> None:
        rounds = 0
        while not self.stopped:
            rounds += 1
            for id in self.ids:
                response = await self.client.get(f"/events/{id}")
                self.reads += 1
                if response.status_code != 200:
                    self.misses.append((id, response.status_code))
            # Two more rows each round, so some are written while the rebalance moves
            # them; two in three are left for the rebalance alone.
            for id in self.moving[::3][: 2 * rounds]:
                patched = await self.client.patch(f"/events/{id}", json={"properties": {"round": rounds}})
                assert patched.status_code == 200, patched.text
                self.acknowledged[id] = rounds

    @asynccontextmanager
    async def running(self) -> AsyncIterator[Traffic]:
        task = asyncio.create_task(self.run())
        try:
            yield self
        finally:
            self.stopped = True
            await task


async def test_a_rebalance_killed_half_way_then_run_again_moves_every_row_exactly_once(
    members: dict[str, dict[str, Any]], tmp_path: Path
) -> None:
    async with serve(sharded_over(members, OLD)) as client:
        ids = []
        for i in range(160):
            created = await client.post("/events", json={"type": "moving", "properties": {"i": i}})
            assert created.status_code == 201, created.text
            ids.append(UUID(created.json()["id"]))
    moving = [id for id in ids if owner(canonical(id), NEW) == "events_3"]
    assert len(moving) > 20

    env = environment(members, NEW)
    async with serve(sharded_over(members, NEW)) as client, Traffic(client, ids, moving).running() as traffic:
        process = await shards_command(env, tmp_path, "rebalance", "--batch-size", "1")
        assert process.stdout is not None
        while b"-> events_3" not in (line := await process.stdout.readline()):
            assert line, (await finished(process))[2]
        process.send_signal(signal.SIGKILL)
        await process.wait()
        assert process.returncode == -signal.SIGKILL

        placed = await where_stored(members)
        assert [id for id in moving if "events_3" in placed[id]], "the first run moved nothing"
        assert [id for id in moving if "events_3" not in placed[id]], "the first run was not stopped half-way"

        code, out, err = await finished(await shards_command(env, tmp_path, "rebalance", "--batch-size", "7"))
        assert code == 0, err
        assert out.splitlines()[-1].startswith("done: ")
        reads_during_the_move = traffic.reads

    assert traffic.misses == []
    assert reads_during_the_move >= len(ids)
    assert traffic.acknowledged
    placed = await where_stored(members)
    assert sorted(placed) == sorted(ids)  # none lost, none made up
    assert {id: names for id, names in placed.items() if names != [owner(canonical(id), NEW)]} == {}

    async with serve(sharded_over(members, NEW)) as client:
        for id, round in traffic.acknowledged.items():
            assert (await client.get(f"/events/{id}")).json()["properties"] == {"round": round}
    code, out, _ = await finished(await shards_command(env, tmp_path, "rebalance"))
    assert (code, out.splitlines()[-1]) == (0, "done: 0 row(s) moved")


async def test_a_move_cut_short_between_copy_and_delete(members: dict[str, dict[str, Any]]) -> None:
    """A crash left rows on their old shard and on their owner: the service reads and
    writes the owner's copy, a delete removes both, and a rerun brings nothing back."""
    async with serve(sharded_over(members, OLD)) as client:
        ids = [UUID((await client.post("/events", json={"type": "half"})).json()["id"]) for _ in range(40)]
    moving = [id for id in ids if owner(canonical(id), NEW) == "events_3"]
    assert len(moving) >= 2
    service = sharded_over(members, NEW)
    async with serve(service) as client:
        sharded: ShardedAdapter = service.databases.analytics_db()
        for id in moving[:2]:  # copied, as a killed rebalance would have, but not deleted
            row = await sharded.members[owner(canonical(id), OLD)].get(EVENTS, id)
            await sharded.members["events_3"].insert(EVENTS, row)
        changed, deleted = moving[:2]
        assert (await client.patch(f"/events/{changed}", json={"type": "changed"})).status_code == 200
        assert (await client.delete(f"/events/{deleted}")).status_code == 204
        assert deleted not in await where_stored(members)

        reported: list[str] = []
        await rebalance(sharded, EVENTS, 5, lambda batch: reported.append(batch.describe()))
        placed = await where_stored(members)
        assert deleted not in placed
        assert placed[changed] == ["events_3"]
        assert (await client.get(f"/events/{changed}")).json()["type"] == "changed"
        assert sorted(placed) == sorted(set(ids) - {deleted})
        assert any("-> events_3" in line for line in reported)


@pytest.mark.parametrize(
    ("variables", "message"),
    [
        ({"SHARDS__analytics_db": "events_0,events_1"}, "'nope' is not a sharded name (SHARDS__nope)"),
        ({"SHARDS__analytics_db": "events_0,ghost"}, "ghost is not a configured database"),
    ],
)
async def test_bad_configuration_is_one_line(variables: dict[str, str], message: str, tmp_path: Path) -> None:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DB_", "DATABASES", "SHARDS"))}
    env |= {"DB_TYPE": "memory", "PYTHONPATH": str(ROOT), **variables}
    env |= {f"DATABASES__{name}__DB_TYPE": "memory" for name in ("events_0", "events_1")}
    code, out, err = await finished(await shards_command(env, tmp_path, "rebalance", "--database", "nope"))
    assert code == 2
    assert out == ""
    assert len(err.splitlines()) == 1
    assert message in err


async def test_a_row_whose_unique_value_is_taken_on_its_owner_stays_where_it_is() -> None:
    """Unique columns are unique per shard: a move that would break one is refused and
    reported, and the row is neither lost nor copied."""
    shards = {"a": InMemoryAdapter("a"), "b": InMemoryAdapter("b")}
    sharded = ShardedAdapter("users_db", shards)
    id, other = [id for id in (uuid7() for _ in range(100)) if owner(canonical(id), ["a", "b"]) == "b"][:2]
    stamp = datetime.now(UTC)
    row = {"id": id, "email": "same@example.com", "name": "A", "version": 1}
    row |= {"created_at": stamp, "updated_at": stamp}
    await shards["a"].insert(USERS, row)  # where the owner of its id was, before "b" joined
    await shards["b"].insert(USERS, {**row, "id": other, "name": "B"})

    batches: list[Batch] = []
    assert await rebalance(sharded, USERS, 10, batches.append) == 0
    assert [message for batch in batches for message in batch.refused] == [
        f"users {id} cannot move to b: another row there has the same email, which is unique only "
        "within one shard"
    ]
    assert [user["name"] for user in shards["a"].rows(USERS)] == ["A"]
    assert [user["name"] for user in shards["b"].rows(USERS)] == ["B"]


async def test_a_row_changed_on_its_old_shard_while_moving_stays_there() -> None:
    """Only a service still configured with the old shards writes there; the move is
    undone and the rebalance says to run again."""
    old, new = InMemoryAdapter("old"), InMemoryAdapter("new")
    stamp = datetime.now(UTC)
    id = uuid7()
    row = {"id": id, "type": "t", "properties": {}, "occurred_at": stamp, "version": 1}
    row |= {"created_at": stamp, "updated_at": stamp, "user_id": None, "product_id": None}
    await old.insert(EVENTS, row)
    await old.update(EVENTS, id, {"type": "changed"})

    assert await move(EVENTS, row, old, new) is False
    assert new.rows(EVENTS) == []
    assert [(event["type"], event["version"]) for event in old.rows(EVENTS)] == [("changed", 2)]


async def test_a_delete_acknowledged_before_a_move_leaves_nothing_to_copy() -> None:
    """The rebalance read the row, a client deleted it, then the move came: the row must
    not come back on its new shard."""
    old, new = InMemoryAdapter("old"), InMemoryAdapter("new")
    stamp = datetime.now(UTC)
    row: dict[str, Any] = {"id": uuid7(), "type": "t", "properties": {}, "occurred_at": stamp, "version": 1}
    row |= {"created_at": stamp, "updated_at": stamp, "user_id": None, "product_id": None}
    await old.insert(EVENTS, row)
    read_by_the_rebalance = await old.get(EVENTS, row["id"])
    await old.delete(EVENTS, row["id"])  # the client's delete, answered 204

    assert await move(EVENTS, read_by_the_rebalance, old, new) is True
    assert (old.rows(EVENTS), new.rows(EVENTS)) == ([], [])


async def waiting_on_a_lock(url: str) -> None:
    """Until a session of the PostgreSQL database at `url` waits for a row lock."""
    parsed = make_url(url)
    connection = await asyncpg.connect(
        host=parsed.host, port=parsed.port, user=parsed.username, database=parsed.database
    )
    try:
        for _ in range(500):
            query = "SELECT count(*) FROM pg_stat_activity WHERE datname = $1 AND wait_event_type = 'Lock'"
            if await connection.fetchval(query, parsed.database):
                return
            await asyncio.sleep(0.01)
        raise AssertionError("no session waited for the moving row's lock")
    finally:
        await connection.close()


async def test_a_delete_while_the_row_moves_waits_for_the_move_then_deletes_the_copy(
    members: dict[str, dict[str, Any]], monkeypatch: pytest.MonkeyPatch
) -> None:
    """The move holds the row on its old shard (PostgreSQL) until the copy is on its
    owner; a client's delete meanwhile waits, then removes the copy: the row is gone
    from every shard, not brought back by the move."""
    async with serve(sharded_over(members, OLD)) as client:
        ids = [UUID((await client.post("/events", json={"type": "raced"})).json()["id"]) for _ in range(60)]
    id = next(
        id
        for id in ids
        if owner(canonical(id), NEW) == "events_3"
        and members[owner(canonical(id), OLD)]["DB_TYPE"] == "postgres"
    )
    service = sharded_over(members, NEW)
    async with serve(service) as client:
        sharded: ShardedAdapter = service.databases.analytics_db()
        old_shard = owner(canonical(id), OLD)
        source, target = sharded.members[old_shard], sharded.members["events_3"]
        row = await source.get(EVENTS, id)
        copying, copy_now = asyncio.Event(), asyncio.Event()
        insert = target.insert

        async def insert_when_told(resource: Any, values: Any) -> Any:
            copying.set()
            await copy_now.wait()
            return await insert(resource, values)

        monkeypatch.setattr(target, "insert", insert_when_told)
        moving = asyncio.create_task(move(EVENTS, row, source, target))
        await copying.wait()  # deleted on the old shard, not committed; the copy not made yet
        deleting = asyncio.create_task(client.delete(f"/events/{id}"))
        await waiting_on_a_lock(members[old_shard]["CONNECTION_STRING"])
        copy_now.set()

        assert await moving is True
        assert (await deleting).status_code == 204
        assert (await client.get(f"/events/{id}")).status_code == 404
    assert id not in await where_stored(members)
