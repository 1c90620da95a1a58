"""Replication positions, as each SQL family states them: where the primary is, how far
a replica has replayed, and whether one position includes another."""

from __future__ import annotations

from abc import ABC, abstractmethod
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.adapters.sql.adapter import SQLAdapter


class Replication(ABC):
    primary_query: str
    replayed_query: str

    async def primary_position(self, primary: SQLAdapter) -> str:
        return await _scalar(primary, self.primary_query)

    async def replayed_position(self, replica: SQLAdapter) -> str:
        return await _scalar(replica, self.replayed_query)

    @abstractmethod
    def reached(self, replayed: str, wanted: str) -> bool:
        """Whether a replica at `replayed` has everything the primary had at `wanted`."""


class PostgresReplication(Replication):
    """WAL positions (LSNs, "16/B374D848"): the primary's after a commit, the standby's
    replay position. The primary's is its insert position: with asynchronous commit a
    committed record can still sit in WAL buffers, past the write position."""

    primary_query = "SELECT pg_current_wal_insert_lsn()::text"
    replayed_query = "SELECT pg_last_wal_replay_lsn()::text"

    def reached(self, replayed: str, wanted: str) -> bool:
        return _lsn(replayed) >= _lsn(wanted)


class MariaDBReplication(Replication):
    """GTID positions ("0-1-42,1-2-7": domain-server-sequence): the primary's binlog
    position, the replica's applied position, compared domain by domain."""

    primary_query = "SELECT @@GLOBAL.gtid_binlog_pos"
    replayed_query = "SELECT @@GLOBAL.gtid_slave_pos"

    def reached(self, replayed: str, wanted: str) -> bool:
        have = _gtids(replayed)
        return all(have.get(domain, -1) >= sequence for domain, sequence in _gtids(wanted).items())


async def _scalar(database: SQLAdapter, query: str) -> str:
    value = await database.scalar(query)
    if value is None:
        raise ValueError(f"{query!r} returned nothing: is this the server it should be?")
    return str(value)


def _lsn(position: str) -> int:
    high, _, low = position.partition("/")
    return (int(high, 16) << 32) + int(low, 16)


def _gtids(position: str) -> dict[int, int]:
    found = {}
    for gtid in filter(None, (part.strip() for part in position.split(","))):
        domain, _, sequence = gtid.split("-")
        found[int(domain)] = int(sequence)
    return found
