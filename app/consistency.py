"""Read-your-writes across requests: what this request has written, where, and what the
client says it has seen.

A consistency token names, per database, the primary's position after a client's last
write (a PostgreSQL WAL LSN, a MariaDB GTID position, a MongoDB cluster time). A read
that presents it is served by a replica only if the replica has replayed that far.
"""

from __future__ import annotations

import base64
import binascii
import json
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

MAX_TOKEN_LENGTH = 4096


@dataclass
class ReadConsistency:
    seen: dict[str, str] = field(default_factory=dict)  # database name -> position
    primary_only: bool = False  # the caller asked to read from the primary
    written: set[str] = field(default_factory=set)  # databases this request wrote to

    def wrote(self, database: str, position: str | None) -> None:
        self.written.add(database)
        if position is not None:
            self.seen[database] = position

    def needs_primary(self, database: str) -> bool:
        """Reads after a write in the same request, or when asked, go to the primary."""
        return self.primary_only or database in self.written

    def token(self) -> str:
        return encode(self.seen)


_current: ContextVar[ReadConsistency | None] = ContextVar("read_consistency", default=None)


def current() -> ReadConsistency:
    """This request's consistency; outside a request, a fresh one that asks nothing."""
    return _current.get() or ReadConsistency()


def begin(consistency: ReadConsistency) -> Token[ReadConsistency | None]:
    return _current.set(consistency)


def end(token: Token[ReadConsistency | None]) -> None:
    _current.reset(token)


def encode(positions: dict[str, str]) -> str:
    raw = json.dumps(positions, separators=(",", ":"), sort_keys=True).encode()
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def decode(token: str | None) -> dict[str, str]:
    """The positions in a token; nothing for a token that is not one of ours, so that a
    damaged token costs a read from the primary, never an error."""
    if not token or len(token) > MAX_TOKEN_LENGTH:
        return {}
    try:
        value = json.loads(base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)))
    except (ValueError, binascii.Error):
        return {}
    if not isinstance(value, dict):
        return {}
    return {k: v for k, v in value.items() if isinstance(k, str) and isinstance(v, str)}
