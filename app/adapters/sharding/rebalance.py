"""Move every row whose owner changed (a shard was added) to its owner, in batches,
while the service keeps serving.

Each shard is read in id order, a batch at a time; a row another shard owns now is
moved (moves.py), one it still owns is passed over. Passes repeat until one moves
nothing, so rows that shifted under the paging while the service wrote are found by
the next pass. Every step can be repeated, so a run that was killed is finished by
running it again.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.adapters.interface import ListQuery
from app.adapters.sharding.adapter import ShardedAdapter
from app.adapters.sharding.moves import move
from app.errors import Conflict
from app.models.base import SortKey
from app.models.resource import Resource

BY_ID = (SortKey(field="id"),)


@dataclass(frozen=True)
class Batch:
    resource: str
    source: str
    moved: dict[str, int]  # rows moved, by the shard they went to
    kept: int  # rows the shard still owns, or that changed while being moved
    refused: tuple[str, ...] = ()  # why rows could not move: a unique value taken, a change meanwhile

    def describe(self) -> str:
        moves = ", ".join(f"{count} -> {target}" for target, count in sorted(self.moved.items()))
        line = f"{self.resource} on {self.source}: moved {moves or 'nothing'}, kept {self.kept}"
        return "; ".join([line, *self.refused])


async def rebalance(
    sharded: ShardedAdapter, resource: Resource, batch_size: int, report: Callable[[Batch], None]
) -> int:
    """Rows moved in all; `report` hears of every batch as soon as it is done."""
    total = 0
    while True:
        moved = 0
        for name in sharded.members:
            moved += await _drain(sharded, resource, name, batch_size, report)
        total += moved
        if moved == 0:
            return total


async def _drain(
    sharded: ShardedAdapter, resource: Resource, name: str, batch_size: int, report: Callable[[Batch], None]
) -> int:
    source = sharded.members[name]
    kept = moved = 0
    while True:
        # Rows moved away leave the shard, so the rows kept so far are the offset.
        page = await source.list(resource, ListQuery(sort=BY_ID, limit=batch_size, offset=kept))
        if not page.items:
            return moved
        moved_to: dict[str, int] = {}
        refused = []
        for row in page.items:
            target = sharded.owner_of(resource, row)
            done = False
            try:
                done = target != name and await move(resource, row, source, sharded.members[target])
                if target != name and not done:  # only a writer with the old SHARDS does that
                    refused.append(f"{resource.name} {row['id']} changed on {name} while moving; run again")
            except Conflict as error:
                refused.append(str(error))
            if done:
                moved_to[target] = moved_to.get(target, 0) + 1
            else:
                kept += 1
        count = sum(moved_to.values())
        moved += count
        report(Batch(resource.name, name, moved_to, len(page.items) - count, tuple(refused)))
