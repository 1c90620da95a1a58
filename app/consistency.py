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
import re
from contextvars import ContextVar, Token
from dataclasses import dataclass, field

MAX_TOKEN_LENGTH = 4096
MAX_POSITIONS = 64
# What a token holds, and nothing else: one flat JSON object of database names to
# positions, in the characters positions are written with (an LSN "16/B374D848", a GTID
# list "0-1-42,1-2-7", a cluster time "1795690447.6", or "primary"). A pattern rather than
# a JSON parser: no nesting, no escapes, no numbers, so nothing for a hostile token to
# make deep, long or slow.
_NAME = r'"[A-Za-z0-9_.-]{1,128}"'
_POSITION = r'"[A-Za-z0-9.:/,_-]{0,256}"'
_ENTRY = f"{_NAME}:{_POSITION}"
_TOKEN = re.compile(rf"\{{(?:{_ENTRY}(?:,{_ENTRY}){{0,{MAX_POSITIONS - 1}}})?\}}", re.ASCII)
_BASE64URL = re.compile(r"[A-Za-z0-9_-]+", re.ASCII)


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
    """The positions in a token; nothing for a token that is not one of ours (see
    `parse`)."""
    return parse(token) or {}


def parse(token: str | None) -> dict[str, str] | None:
    """The positions in a token, or None when it is not one of ours: too long, not
    base64url, or not exactly the flat object `encode` writes. Never raises."""
    if token is None or len(token) > MAX_TOKEN_LENGTH or not _BASE64URL.fullmatch(token):
        return None
    try:
        text = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
    except (ValueError, binascii.Error):  # UnicodeDecodeError is a ValueError
        return None
    if not _TOKEN.fullmatch(text):
        return None
    positions: dict[str, str] = json.loads(text)  # one level of plain strings: safe to parse
    return positions
