"""A SQL database with read replicas: writes and units of work on the primary, reads
spread over the replicas that are healthy, close enough, and far enough along for
what the client has already written."""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import logging
import time
from collections import deque
from collections.abc import AsyncIterator, Awaitable, Callable, Collection, Sequence
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import ClassVar, Literal, TypeVar
from uuid import UUID

from app import consistency
from app.adapters.interface import DatabaseAdapter, ListQuery, Page, PoolUse, Row, SchemaState, Store
from app.adapters.migrations import Migrations
from app.adapters.sql.adapter import SQLAdapter
from app.adapters.sql.replication import PositionUnknown, Replication
from app.errors import DomainError, Unavailable
from app.models.resource import Resource

T = TypeVar("T")
logger = logging.getLogger("multidb.replicas")
HISTORY_SECONDS = 300.0
PRIMARY = "primary"  # a token position that only the primary satisfies


@dataclass
class Replica:
    adapter: SQLAdapter
    status: Literal["up", "lagging", "down"] = "down"
    lag_ms: float | None = None
    replayed: str | None = None


class ReplicatedAdapter(Store):
    """A primary and its replicas, each a SQLAdapter of its own: the primary holds the
    schema, the writes and the units of work."""

    db_type: ClassVar[str] = "sql"

    def __init__(self, primary: SQLAdapter, replicas: list[SQLAdapter], replication: Replication) -> None:
        self.primary = primary
        self.name = primary.name
        self.config = primary.config
        self.resources = ()
        self.replicas = [Replica(adapter) for adapter in replicas]
        self.replication = replication
        self._turn = itertools.count()
        self._positions: deque[tuple[float, str]] = deque()  # (when, the primary's position then)
        self._monitor: asyncio.Task[None] | None = None
        self._primary_unknown = False  # already warned that the primary states no position

    @property
    def failure(self) -> str | None:  # type: ignore[override]
        return self.primary.failure

    @property
    def schema(self) -> SchemaState:
        return self.primary.schema

    @property
    def identity(self) -> str:
        return self.primary.identity

    @property
    def migrations(self) -> Migrations:
        return self.primary.migrations

    async def connect(self) -> None:
        self.primary.resources = self.resources  # the primary checks the schema they need
        for adapter in (self.primary, *(replica.adapter for replica in self.replicas)):
            await adapter.connect()
        await self.check_replicas()
        self._monitor = asyncio.create_task(self._watch(), name=f"replicas of {self.name}")

    async def disconnect(self) -> None:
        if self._monitor is not None:
            self._monitor.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._monitor
        for adapter in (self.primary, *(replica.adapter for replica in self.replicas)):
            await adapter.disconnect()

    async def ping(self) -> None:
        await self.primary.ping()

    async def check_schema(self, again: bool = False) -> SchemaState:
        self.primary.resources = self.resources
        return await self.primary.check_schema(again)

    # Writes: on the primary, then the primary's position becomes the client's token.
    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[None]:
        outermost = not self.primary.in_unit_of_work()
        async with self.primary.transaction():
            yield
        if outermost:
            await self._wrote()

    async def insert(self, resource: Resource, row: Row) -> Row:
        return await self._write(self.primary.insert(resource, row))

    async def update(
        self, resource: Resource, id: UUID, changes: Row, if_version: Collection[int] | None = None
    ) -> Row:
        return await self._write(self.primary.update(resource, id, changes, if_version))

    async def delete(self, resource: Resource, id: UUID, if_version: Collection[int] | None = None) -> None:
        await self._write(self.primary.delete(resource, id, if_version))

    # Reads: on a replica when it is safe, else on the primary; a replica that fails
    # is taken out of rotation and the read goes on elsewhere, unseen by the client.
    async def get(self, resource: Resource, id: UUID) -> Row:
        return await self._read(lambda adapter: adapter.get(resource, id))

    async def list(self, resource: Resource, query: ListQuery) -> Page:
        return await self._read(lambda adapter: adapter.list(resource, query))

    async def get_many(self, resource: Resource, ids: Collection[UUID]) -> dict[UUID, Row]:
        return await self._read(lambda adapter: adapter.get_many(resource, ids))

    def pool_use(self) -> PoolUse | None:
        return self.primary.pool_use()  # the replicas' pools serve reads only

    def replica_health(self) -> Sequence[tuple[str, str, float | None]]:
        return [(r.adapter.config.describe(), r.status, r.lag_ms) for r in self.replicas]

    async def check_replicas(self) -> None:
        """Sample the primary's position, then each replica's: its lag is how long ago
        the primary first had something the replica has not replayed yet (zero when it
        has everything, however long the primary has been idle)."""
        now = time.monotonic()
        try:
            async with asyncio.timeout(self.config.CONNECT_TIMEOUT):
                self._positions.append((now, await self.replication.primary_position(self.primary)))
        except PositionUnknown as error:
            if not self._primary_unknown:
                logger.warning(
                    "%s states no replication position; tokens send reads to it: %s", self.name, error
                )
            self._primary_unknown = True
        except Exception:  # the primary's own failures are its routes' business
            pass
        else:
            self._primary_unknown = False
        while self._positions and now - self._positions[0][0] > HISTORY_SECONDS:
            self._positions.popleft()
        await asyncio.gather(*(self._check(replica, now) for replica in self.replicas))

    async def _check(self, replica: Replica, now: float) -> None:
        try:
            async with asyncio.timeout(self.config.CONNECT_TIMEOUT):
                replica.replayed = await self.replication.replayed_position(replica.adapter)
        except Exception as error:
            self._out(replica, error)
            return
        missing = next(
            (when for when, position in self._positions if not self._reached(replica, position)), None
        )
        replica.lag_ms = 0.0 if missing is None else round((now - missing) * 1000, 1)
        status: Literal["up", "lagging"] = (
            "up" if replica.lag_ms <= self.config.MAX_REPLICA_LAG_MS else "lagging"
        )
        if status != replica.status:
            logger.info("replica %s of %s is %s", replica.adapter.config.describe(), self.name, status)
        replica.status = status

    async def _watch(self) -> None:
        while True:
            await asyncio.sleep(self.config.REPLICA_CHECK_INTERVAL)
            await self.check_replicas()

    def _reached(self, replica: Replica, position: str) -> bool:
        if replica.replayed is None or position == PRIMARY:
            return False
        try:
            return self.replication.reached(replica.replayed, position)
        except ValueError:  # a position this family cannot read: not reached, to be safe
            return False

    def _out(self, replica: Replica, error: BaseException) -> None:
        if replica.status != "down":
            # A driver's message can hold what the service must not log; ours says why.
            reason = str(error) if isinstance(error, PositionUnknown) else type(error).__name__
            where = replica.adapter.config.describe()
            logger.warning("replica %s of %s is out of rotation: %s", where, self.name, reason)
        replica.status, replica.lag_ms = "down", None

    async def _write(self, operation: Awaitable[T]) -> T:
        result = await operation
        if not self.primary.in_unit_of_work():
            await self._wrote()
        return result

    async def _wrote(self) -> None:
        # Without the primary's position, the token sends this client's reads to the
        # primary: slower, never stale.
        position = PRIMARY
        with contextlib.suppress(Exception):
            async with asyncio.timeout(self.config.CONNECT_TIMEOUT):
                position = await self.replication.primary_position(self.primary)
        consistency.current().wrote(self.name, position)

    async def _read(self, read: Callable[[DatabaseAdapter], Awaitable[T]]) -> T:
        for replica in await self._readers():
            try:
                return await read(replica.adapter)
            except Unavailable as error:
                self._out(replica, error)
            except DomainError:
                raise  # an answer (not found, a refused value), not a failure of the replica
            except Exception as error:  # not yet holding what the primary has (a new table)
                self._out(replica, error)
        return await read(self.primary)

    async def _readers(self) -> Sequence[Replica]:
        request = consistency.current()
        if self.primary.in_unit_of_work() or request.needs_primary(self.name):
            return []
        healthy = [replica for replica in self.replicas if replica.status == "up"]
        if not healthy:
            return []
        start = next(self._turn) % len(healthy)
        ordered = healthy[start:] + healthy[:start]
        wanted = request.seen.get(self.name)
        if wanted is None:
            return ordered
        if wanted == PRIMARY:
            return []
        for replica in ordered:  # the first that has replayed the client's last write
            if await self._has_replayed(replica, wanted):
                return [replica]
        return []

    async def _has_replayed(self, replica: Replica, wanted: str) -> bool:
        if self._reached(replica, wanted):
            return True
        try:  # the last check is old news: ask the replica itself
            async with asyncio.timeout(self.config.CONNECT_TIMEOUT):
                replica.replayed = await self.replication.replayed_position(replica.adapter)
        except Exception as error:
            self._out(replica, error)
            return False
        return self._reached(replica, wanted)
