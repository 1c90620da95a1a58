"""A unit of work on one database is all or nothing: committed at the end, rolled back
on an error or when the task is cancelled (a client that went away)."""

from __future__ import annotations

import asyncio
from typing import Any

import pytest

from app.api.queries import list_params_model
from app.controllers.users import UserController
from app.errors import NotFound
from app.models import USERS

pytestmark = pytest.mark.usefixtures("client")  # each test starts from empty tables


async def test_several_writes_commit_together(service: Any) -> None:
    _, built = service
    users = UserController(db_adapter=built.databases.users_db())

    async with users.transaction():
        first = await users.create(USERS.create(email="uow1@example.com", name="One"))
        second = await users.create(USERS.create(email="uow2@example.com", name="Two"))
        await users.update(first["id"], USERS.patch(name="One, renamed"))

    assert (await users.get(first["id"]))["name"] == "One, renamed"
    assert (await users.get(second["id"]))["name"] == "Two"


async def test_an_error_rolls_every_write_back(service: Any) -> None:
    _, built = service
    users = UserController(db_adapter=built.databases.users_db())
    kept = await users.create(USERS.create(email="kept@example.com", name="Kept"))
    created: list[Any] = []

    async def fails_halfway() -> None:
        async with users.transaction():
            created.append(await users.create(USERS.create(email="gone@example.com", name="Gone")))
            await users.update(kept["id"], USERS.patch(name="Changed"))
            raise RuntimeError("halfway")

    with pytest.raises(RuntimeError, match="halfway"):
        await fails_halfway()

    with pytest.raises(NotFound):
        await users.get(created[0]["id"])
    assert (await users.get(kept["id"]))["name"] == "Kept"


async def test_a_cancelled_unit_of_work_leaves_nothing_behind(service: Any) -> None:
    _, built = service
    users = UserController(db_adapter=built.databases.users_db())
    written = asyncio.Event()
    created: list[Any] = []

    async def interrupted() -> None:
        async with users.transaction():
            created.append(await users.create(USERS.create(email="cut@example.com", name="Cut")))
            written.set()
            await asyncio.Event().wait()  # the client goes away while this request waits

    task = asyncio.create_task(interrupted())
    await asyncio.wait_for(written.wait(), timeout=30)
    task.cancel()
    with pytest.raises(asyncio.CancelledError):
        await task

    with pytest.raises(NotFound):
        await users.get(created[0]["id"])
    assert (await users.list(list_params_model(USERS)(email="cut@example.com"))).total == 0
