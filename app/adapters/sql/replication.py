"""Replication positions, as each SQL family states them: where the primary is, how far
a replica has replayed, and whether one position includes another."""

from __future__ import annotations

from abc import ABC, abstractmethod
from decimal import Decimal, InvalidOperation
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from app.adapters.sql.adapter import SQLAdapter


class PositionUnknown(Exception):
    """A server that answers but states no position; the message says why, and is safe
    to log (it holds no URL, no value read from the server)."""


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


class SQLServerReplication(Replication):
    """Always On availability group positions, from sys.dm_hadr_database_replica_states
    (one row per availability database on this server, is_local = 1 for its own copy).
    Microsoft's page for that view (learn.microsoft.com, "sys.dm_hadr_database_replica_states
    (Transact-SQL)") says: last_commit_lsn, numeric(25,0), is the "actual log sequence
    number corresponding to the last commit record": on the primary database "the last
    commit record processed"; last_redone_lsn, numeric(25,0), is the "actual log sequence
    number of the last log record that was redone on the secondary database"; and of the
    other LSN columns (last_hardened_lsn, end_of_log_lsn, ...) that they are log-block IDs
    padded with zeroes, "not actual log sequence numbers", so they are not compared here.
    Both columns read are LSNs of the same database's one log, which its secondaries redo
    in order: a secondary whose last_redone_lsn is at least the primary's last_commit_lsn
    after a write has redone that commit, and a readable secondary shows what it has redone.

    A database not in an availability group, or a server that is not in the role asked
    for (the primary named as a replica, a secondary after a failover), has no such row:
    the position is unknown (PositionUnknown), so a replica is out of rotation, and
    writes' tokens send reads to the primary. (A login without VIEW SERVER STATE, which
    the view needs, gets an error instead, with the same effect.)"""

    primary_query = (
        "SELECT last_commit_lsn FROM sys.dm_hadr_database_replica_states"
        " WHERE database_id = DB_ID() AND is_local = 1 AND is_primary_replica = 1"
    )
    replayed_query = (
        "SELECT last_redone_lsn FROM sys.dm_hadr_database_replica_states"
        " WHERE database_id = DB_ID() AND is_local = 1 AND is_primary_replica = 0"
    )

    async def primary_position(self, primary: SQLAdapter) -> str:
        return _known(sqlserver_lsn(await primary.scalar(self.primary_query)), "primary")

    async def replayed_position(self, replica: SQLAdapter) -> str:
        return _known(sqlserver_lsn(await replica.scalar(self.replayed_query)), "readable secondary")

    def reached(self, replayed: str, wanted: str) -> bool:
        return int(replayed) >= int(wanted)


def sqlserver_lsn(value: object) -> int | None:
    """An LSN column of sys.dm_hadr_database_replica_states (numeric(25,0), a Decimal
    through pyodbc) as an integer; None without a row or a value."""
    if value is None:
        return None
    try:
        number = Decimal(str(value))
    except InvalidOperation:
        raise ValueError(f"not an LSN: {value!r}") from None
    if not number.is_finite() or number != number.to_integral_value() or number < 0:
        raise ValueError(f"not an LSN: {value!r}")
    return int(number)


def _known(lsn: int | None, role: str) -> str:
    if lsn is None:
        raise PositionUnknown(
            f"sys.dm_hadr_database_replica_states has no row for this database as a {role}: "
            "is it in an availability group, with this server in that role?"
        )
    return str(lsn)


async def _scalar(database: SQLAdapter, query: str) -> str:
    value = await database.scalar(query)
    if value is None:
        raise PositionUnknown(f"{query!r} returned nothing: is this the server it should be?")
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
