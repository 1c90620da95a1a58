"""Rendezvous (highest random weight) hashing: which shard owns a key.

Every shard scores every key; the highest score owns it. The score is the first eight
bytes, big-endian, of BLAKE2b over the shard's name, a NUL byte and the key, so it is
the same in every process, on every machine and in every release of Python (no
PYTHONHASHSEED). Adding a shard to N moves only the keys that the new shard now
scores highest, about 1/(N+1) of them, and only onto the new shard; the shard a moved
key came from is the next in its ranking.
"""

from __future__ import annotations

from collections.abc import Iterable
from hashlib import blake2b
from typing import Any
from uuid import UUID


def canonical(value: Any) -> str:
    """The string a shard-key value is hashed as: a UUID's 32 hex digits, any other
    value's str()."""
    return value.hex if isinstance(value, UUID) else str(value)


def score(shard: str, key: str) -> int:
    digest = blake2b(f"{shard}\x00{key}".encode()).digest()[:8]
    return int.from_bytes(digest, "big")


def ranked(key: str, shards: Iterable[str]) -> list[str]:
    """The shards from the key's owner down; ties (never seen in 64 bits) by name."""
    return sorted(shards, key=lambda shard: (score(shard, key), shard), reverse=True)


def owner(key: str, shards: Iterable[str]) -> str:
    return max(shards, key=lambda shard: (score(shard, key), shard))
