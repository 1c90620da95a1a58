"""Moving one row from the shard that holds it to the shard that owns it.

The service moves a row it is about to write (so the write lands on the owner), and
`python -m app shards rebalance` moves every row whose owner changed. Both move the
same way, in two steps that can each be repeated: copy the row to the owner unless it
is there already, then delete it from the old shard only if it still has the version
that was copied. A move cut short between the steps leaves the row on both shards;
the owner's copy is the one the service reads and writes, and the next move of the
row finishes the job.
"""

from __future__ import annotations

from contextlib import suppress
from uuid import UUID

from app.adapters.interface import DatabaseAdapter, Row
from app.errors import Conflict, NotFound, PreconditionFailed
from app.models.resource import Resource


async def move(resource: Resource, row: Row, source: DatabaseAdapter, target: DatabaseAdapter) -> bool:
    """Move `row`, as read from `source`, to `target`. False when it was not moved
    because it changed on `source` since it was read: it stays there, to be moved again."""
    id = row["id"]
    try:
        await target.insert(resource, row)
    except Conflict:
        copy = await _copy_on(target, resource, id)
        if copy is None:
            raise Conflict(
                f"{resource.name} {id} cannot move to {target.name}: another row there has the same "
                f"{' or '.join(resource.unique)}, which is unique only within one shard"
            ) from None
        if copy["version"] < row["version"]:  # written on the old shard since it was copied
            await target.delete(resource, id, [copy["version"]])
            await target.insert(resource, row)
    try:
        await source.delete(resource, id, [row["version"]])
    except NotFound:
        pass  # moved meanwhile by the service or another rebalance
    except PreconditionFailed:  # changed on the old shard since it was read: take the copy back
        with suppress(NotFound, PreconditionFailed):
            await target.delete(resource, id, [row["version"]])
        return False
    return True


async def _copy_on(database: DatabaseAdapter, resource: Resource, id: UUID) -> Row | None:
    try:
        return await database.get(resource, id)
    except NotFound:
        return None
