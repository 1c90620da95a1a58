"""Moving one row from the shard that holds it to the shard that owns it.

The service moves a row it is about to write (so the write lands on the owner), and
`python -m app shards rebalance` moves every row whose owner changed. Both move the
same way: in one transaction on the old shard, delete the row there (only if it still
has the version that was read), copy it to the owner, then commit.

Deleting first, and holding the old shard's transaction open until the copy is in,
is what keeps a concurrent delete from being undone: a client's delete of the row on
the old shard waits for the move, then finds nothing there and deletes the owner's
copy; a delete that came before the move leaves nothing to copy. A crash between the
copy and the commit rolls the delete back and leaves the row on both shards; the
owner's copy is the one the service reads and writes, a delete removes both, and the
next move of the row finishes the job.
"""

from __future__ import annotations

from uuid import UUID

from app.adapters.interface import DatabaseAdapter, Row, Transactional
from app.errors import Conflict, NotFound, PreconditionFailed
from app.models.resource import Resource


async def move(resource: Resource, row: Row, source: Transactional, target: DatabaseAdapter) -> bool:
    """Move `row`, as read from `source`, to `target`. True when it is no longer on
    `source` (moved now, or already moved or deleted by someone else); False when it
    changed on `source` since it was read: it stays there, to be moved again."""
    try:
        async with source.transaction():
            await source.delete(resource, row["id"], [row["version"]])
            await _copy(resource, row, target)
    except NotFound:
        return True
    except PreconditionFailed:
        return False
    return True


async def _copy(resource: Resource, row: Row, target: DatabaseAdapter) -> None:
    """`row` on `target`, unless a copy as new or newer is there already (a move that
    was cut short, then written to on the owner)."""
    id = row["id"]
    try:
        await target.insert(resource, row)
        return
    except Conflict:
        copy = await _copy_on(target, resource, id)
    if copy is None:
        raise Conflict(
            f"{resource.name} {id} cannot move to {target.name}: another row there has the same "
            f"{' or '.join(resource.unique)}, which is unique only within one shard"
        )
    if copy["version"] < row["version"]:  # copied before a later write on the old shard
        await target.delete(resource, id, [copy["version"]])
        await target.insert(resource, row)


async def _copy_on(database: DatabaseAdapter, resource: Resource, id: UUID) -> Row | None:
    try:
        return await database.get(resource, id)
    except NotFound:
        return None
