"""`python -m app db ...`: the schema of every configured database, from the shell."""

from __future__ import annotations

import argparse
import asyncio
import sys
import traceback
from collections import defaultdict
from collections.abc import AsyncIterator, Sequence
from contextlib import asynccontextmanager

from app.adapters import failures
from app.adapters.mongodb.schema import write_step
from app.errors import Unavailable
from app.models.resource import Resource
from app.routing_table import routing_table
from containers import Container
from containers.databases import Placement, bindings, placements
from settings import ConfigurationError


def parser() -> argparse.ArgumentParser:
    root = argparse.ArgumentParser(prog="python -m app db", description="Schema migrations, per database.")
    commands = root.add_subparsers(dest="command", required=True)

    upgrade = commands.add_parser("upgrade", help="bring databases to head (or to --to)")
    upgrade.add_argument("--to", help="a revision; default: every resource's head")
    upgrade.add_argument("--sql", action="store_true", help="print the SQL instead of running it")

    downgrade = commands.add_parser("downgrade", help="take databases back to a revision, or to base")
    downgrade.add_argument("target", help='a revision, or "base" for nothing at all')

    commands.add_parser("current", help="the revision each resource is at")
    commands.add_parser("history", help="the revisions of each resource, newest first")
    commands.add_parser("check", help="fail if a SQL schema differs from its models")

    revision = commands.add_parser("revision", help="write the next SQL revision of a resource")
    revision.add_argument("--autogenerate", action="store_true", required=True)
    revision.add_argument("-m", "--message", required=True)
    revision.add_argument("--resource", help="needed when the database holds several resources")

    for command in commands.choices.values():
        command.add_argument(
            "--database",
            metavar="NAME",
            help="only this named database (a sharded or tenant-selected name: each of its databases)",
        )
        command.add_argument("--verbose", action="store_true", help="show the traceback of a failure")
    return root


class DatabaseFailed(Exception):
    """A database the command needed could not be reached or refused the command."""


def main(argv: Sequence[str]) -> int:
    args = parser().parse_args(argv)
    try:
        container = Container()
        print("\n".join(routing_table(container)), file=sys.stderr)
        return asyncio.run(_run(container, args))
    except (ConfigurationError, NotImplementedError) as error:
        print(f"multidb: {error}", file=sys.stderr)
        return 2
    except DatabaseFailed as error:
        if args.verbose and error.__cause__ is not None:
            traceback.print_exception(error.__cause__, file=sys.stderr)
        hint = "" if args.verbose else " (--verbose shows the traceback)"
        print(f"multidb: {error}{hint}", file=sys.stderr)
        return 1


@asynccontextmanager
async def _on(placement: Placement) -> AsyncIterator[None]:
    """A failure to reach the database, or of the driver, names the database and why."""
    try:
        yield
    except (ConfigurationError, NotImplementedError):
        raise
    except Unavailable as error:
        raise DatabaseFailed(f"{_title(placement)}: {error.reason}") from error
    except Exception as error:
        if not failures.from_driver(error):
            raise
        reason = failures.reason(error, failures.host_of(placement.adapter.config))
        raise DatabaseFailed(f"{_title(placement)}: {reason}") from error


async def _run(container: Container, args: argparse.Namespace) -> int:
    chosen = [
        p for p in placements(container) if p.resources and (not args.database or p.answers_to(args.database))
    ]
    if args.database and not chosen:
        raise ConfigurationError(f"no routes are bound to a database named {args.database!r}")
    if args.command == "upgrade" and args.sql:
        for placement in chosen:
            print(f"-- {_title(placement)}")
            print(placement.adapter.migrations.script(placement.resources))
        return 0
    if args.command == "revision" and args.resource is None and args.database:
        # A name that falls back to the primary shares its database with other resources:
        # the one meant is the one bound to that name.
        bound = [b.resource.name for b in bindings(container) if b.database == args.database]
        args.resource = bound[0] if len(bound) == 1 else None
    for placement in chosen:
        await placement.adapter.connect()
    try:
        return await _online(chosen, args)
    finally:
        for placement in chosen:
            await placement.adapter.disconnect()


async def _online(chosen: list[Placement], args: argparse.Namespace) -> int:
    if args.command == "revision":
        if len(chosen) != 1:
            raise ConfigurationError("revision writes for one database: name it with --database")
        (placement,) = chosen
        resource = _resource(placement.resources, args.resource)
        async with _on(placement):
            path = await placement.adapter.migrations.revision(resource, args.message)
        print(f"wrote {path}")
        if (step := write_step(resource, args.message)) is not None:  # the same facts, for MongoDB
            print(f"wrote {step}")
        return 0
    if args.command == "check":
        return await _check(chosen)
    # Names that reach one physical database are migrated one after the other.
    groups: dict[str, list[Placement]] = defaultdict(list)
    for placement in chosen:
        groups[placement.adapter.identity].append(placement)
    for group in groups.values():
        for placement in group:
            async with _on(placement):
                await _one(placement, args)
    return 0


async def _check(chosen: list[Placement]) -> int:
    differing = 0
    for placement in chosen:
        print(_title(placement))
        async with _on(placement):
            differences = await placement.adapter.migrations.drift(placement.resources)
        differing += len(differences)
        for difference in differences or ["the schema matches the models"]:
            print(f"  {difference}")
    return 1 if differing else 0


async def _one(placement: Placement, args: argparse.Namespace) -> None:
    migrations, resources = placement.adapter.migrations, placement.resources
    print(_title(placement))
    if args.command == "upgrade":
        await migrations.upgrade(resources, args.to)
    elif args.command == "downgrade":
        await migrations.downgrade(resources, args.target)
    if args.command == "history":
        lines = migrations.history(resources)
    else:
        status = await migrations.status(resources)
        lines = [
            f"{name}: {status.current[name] or 'base'} (head {status.head[name] or 'base'})"
            for name in status.head
        ]
    for line in lines:
        print(f"  {line}")


def _title(placement: Placement) -> str:
    within = f" (in {', '.join(placement.within)})" if placement.within else ""
    return f"{', '.join(placement.names)}{within}: {placement.adapter.config.describe()}"


def _resource(resources: list[Resource], name: str | None) -> Resource:
    if name is None and len(resources) == 1:
        return resources[0]
    for resource in resources:
        if resource.name == name:
            return resource
    known = ", ".join(r.name for r in resources)
    raise ConfigurationError(f"name one of the resources on this database with --resource: {known}")
