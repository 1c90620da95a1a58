"""`python -m app shards rebalance`: after a shard is added to SHARDS__<name>, move the
rows whose shard changed, while the service keeps serving."""

from __future__ import annotations

import argparse
import asyncio
import sys
from collections.abc import Sequence

from app.adapters.sharding.adapter import ShardedAdapter
from app.adapters.sharding.rebalance import Batch, rebalance
from app.errors import DomainError
from containers import Container
from containers.databases import bindings, placements
from settings import ConfigurationError


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m app shards", description="Sharded databases.")
    commands = root.add_subparsers(dest="command", required=True)
    command = commands.add_parser("rebalance", help="move every row to the shard that owns it now")
    command.add_argument("--database", metavar="NAME", help="only this sharded name (SHARDS__NAME)")
    command.add_argument("--batch-size", type=int, default=500, metavar="N", help="rows read at a time")
    return root


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    if args.batch_size < 1:
        print("multidb: --batch-size must be 1 or more", file=sys.stderr)
        return 2
    try:
        return asyncio.run(_run(Container(), args.database, args.batch_size))
    except ConfigurationError as error:
        print(f"multidb: {error}", file=sys.stderr)
        return 2
    except DomainError as error:  # a shard down: what moved so far stays moved; run it again
        print(f"multidb: {error}; run the rebalance again once it is back", file=sys.stderr)
        return 1


async def _run(container: Container, database: str | None, batch_size: int) -> int:
    shards = container.settings().SHARDS
    if database is not None and database not in shards:
        known = ", ".join(shards) or "none is configured"
        raise ConfigurationError(f"{database!r} is not a sharded name (SHARDS__{database}); sharded: {known}")
    names = [database] if database else list(shards)
    if not names:
        raise ConfigurationError("no SHARDS__<name> is configured: there is nothing to rebalance")
    total = 0
    refused: list[str] = []

    def report(batch: Batch) -> None:
        refused.extend(batch.refused)
        if batch.moved or batch.refused:
            print(batch.describe(), flush=True)

    stored = {id(placement.adapter): placement.resources for placement in placements(container)}
    for name in names:
        sharded: ShardedAdapter = getattr(container.databases, name)()
        resources = [binding.resource for binding in bindings(container) if binding.database == name]
        members = list(sharded.members.values())
        for member in members:
            member.resources = tuple(stored[id(member)])
            await member.connect()
        try:
            for member in members:  # a new shard must have the tables before rows move in
                if await member.check_schema() != "current":
                    raise ConfigurationError(
                        f"{member.name}: schema behind head; "
                        f"run `python -m app db upgrade --database {member.name}`"
                    )
            for resource in resources:
                total += await rebalance(sharded, resource, batch_size, report)
        finally:
            for member in members:
                await member.disconnect()
    print(f"done: {total} row(s) moved", flush=True)
    if refused:
        print(f"multidb: {len(refused)} row(s) could not move; see above", file=sys.stderr)
        return 1
    return 0
