"""get_many: the rows with the given ids, by id, in one batch, on every backend."""

from __future__ import annotations

from typing import Any
from uuid import UUID, uuid4

import httpx

from app.models import USERS
from tests.contract.helpers import create


async def test_get_many_answers_the_rows_found_by_id_and_leaves_out_the_rest(
    client: httpx.AsyncClient, service: Any
) -> None:
    users = [await create(client, "/users", email=f"many{i}@example.com", name=f"M{i}") for i in range(3)]
    wanted = {UUID(user["id"]) for user in users[:2]}
    adapter = service[1].databases.users_db()

    found = await adapter.get_many(USERS, [*wanted, uuid4(), *wanted])

    assert set(found) == wanted
    for user in users[:2]:
        row = found[UUID(user["id"])]
        assert USERS.read.model_validate(row).model_dump(mode="json") == user
    assert await adapter.get_many(USERS, []) == {}


async def test_get_many_takes_more_ids_than_one_statement_holds(
    client: httpx.AsyncClient, service: Any
) -> None:
    user = await create(client, "/users", email="among@example.com", name="Among")
    ids = [uuid4() for _ in range(2500)] + [UUID(user["id"])]
    adapter = service[1].databases.users_db()

    found = await adapter.get_many(USERS, ids)

    assert list(found) == [UUID(user["id"])]
