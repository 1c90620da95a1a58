"""Consistency tokens: how they travel, and MongoDB's causal reads (the test server is a
single node; on a replica set the same afterClusterTime makes a secondary wait)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from pymongo import monitoring

from app.consistency import decode, encode
from tests.support.service import container, serve, settings

TOKEN = "X-Consistency-Token"


class Finds(monitoring.CommandListener):
    """The readConcern of every find and count the service sends, while enabled."""

    def __init__(self) -> None:
        self.enabled = False
        self.read_concerns: list[dict[str, Any]] = []

    def started(self, event: monitoring.CommandStartedEvent) -> None:
        if self.enabled and event.command_name in ("find", "aggregate"):
            self.read_concerns.append(dict(event.command.get("readConcern", {})))

    def succeeded(self, event: monitoring.CommandSucceededEvent) -> None:
        pass

    def failed(self, event: monitoring.CommandFailedEvent) -> None:
        pass


@pytest.fixture(scope="module")
def finds() -> Iterator[Finds]:
    listener = Finds()
    monitoring.register(listener)  # for clients created from now on: the service's below
    yield listener
    listener.enabled = False


def test_tokens_round_trip_and_a_damaged_token_is_ignored() -> None:
    positions = {"products_db": "16/B374D848", "users_db": "1795690447.6"}

    assert decode(encode(positions)) == positions
    assert decode(encode({"products_db": 1})) == {}  # type: ignore[dict-item]  # positions are strings
    for damaged in ["", "not base64!", "A" * 10_000, "W10"]:  # "W10" is "[]"
        assert decode(damaged) == {}, damaged


async def test_mongodb_writes_carry_a_cluster_time_and_tokened_reads_ask_for_it(
    mongodb_url: str, finds: Finds, tmp_path: Path
) -> None:
    users_db = {"DB_TYPE": "mongodb", "CONNECTION_STRING": mongodb_url, "DB_NAME": "multidb_consistency"}
    async with serve(container(settings(DB_TYPE="memory", DATABASES={"users_db": users_db}))) as client:
        created = await client.post("/users", json={"email": "causal@example.com", "name": "C"})
        token = created.headers[TOKEN]
        position = decode(token)["users_db"]
        seconds, increment = (int(part) for part in position.split("."))
        client.cookies.clear()

        finds.enabled = True
        tokened = await client.get(f"/users/{created.json()['id']}", headers={TOKEN: token})
        untokened = await client.get(f"/users/{created.json()['id']}")
        finds.enabled = False

    assert tokened.status_code == untokened.status_code == 200
    causal, plain = finds.read_concerns
    after = causal["afterClusterTime"]
    assert (after.time, after.inc) >= (seconds, increment)
    assert "afterClusterTime" not in plain


async def test_a_database_without_replicas_or_sessions_sends_no_token(tmp_path: Path) -> None:
    async with serve(container(settings(DB_NAME=str(tmp_path / "app.db")))) as client:
        created = await client.post("/users", json={"email": "plain@example.com", "name": "P"})

    assert created.status_code == 201
    assert TOKEN not in created.headers


async def test_each_mongodb_write_without_a_unit_of_work_moves_the_token_on(mongodb_url: str) -> None:
    users_db = {
        "DB_TYPE": "mongodb",
        "CONNECTION_STRING": mongodb_url,
        "DB_NAME": "multidb_consistency_writes",
    }
    async with serve(container(settings(DB_TYPE="memory", DATABASES={"users_db": users_db}))) as client:
        created = await client.post("/users", json={"email": "writes@example.com", "name": "W"})
        id = created.json()["id"]
        patched = await client.patch(f"/users/{id}", json={"name": "V"})
        deleted = await client.delete(f"/users/{id}")
        refused = await client.patch(f"/users/{id}", json={"name": "U"})

    positions = [_cluster_time(answer.headers[TOKEN]) for answer in (created, patched, deleted)]
    assert [created.status_code, patched.status_code, deleted.status_code] == [201, 200, 204]
    assert positions[0] < positions[1] < positions[2], positions
    assert refused.status_code == 404  # a write that changed nothing names no new position
    assert _cluster_time(refused.headers.get(TOKEN) or deleted.headers[TOKEN]) == positions[-1]


def _cluster_time(token: str) -> tuple[int, int]:
    seconds, increment = decode(token)["users_db"].split(".")
    return int(seconds), int(increment)
