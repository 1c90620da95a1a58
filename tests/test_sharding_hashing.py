"""Rendezvous hashing: the same owner in every process, and a new shard takes about
1/(N+1) of the keys, all from the others, none moved between old shards."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from uuid import UUID, uuid4

import pytest

from app.adapters.sharding.hashing import canonical, owner, ranked, score

KEYS = [f"{i:08x}-key" for i in range(20_000)]


def owners_in_a_process(seed: str, keys: list[str], shards: list[str]) -> list[str]:
    program = (
        "import json, sys; from app.adapters.sharding.hashing import owner; "
        "keys, shards = json.load(sys.stdin); print(json.dumps([owner(k, shards) for k in keys]))"
    )
    result = subprocess.run(
        [sys.executable, "-c", program],
        input=json.dumps([keys, shards]),
        capture_output=True,
        text=True,
        env={**os.environ, "PYTHONHASHSEED": seed},
        check=True,
    )
    found: list[str] = json.loads(result.stdout)
    return found


def test_the_owner_is_the_same_in_every_process_whatever_the_hash_seed() -> None:
    shards = ["events_0", "events_1", "events_2"]
    keys = KEYS[:2000]
    here = [owner(key, shards) for key in keys]
    assert owners_in_a_process("1", keys, shards) == here
    assert owners_in_a_process("2", keys, shards) == here
    assert set(here) == set(shards)


def test_the_score_is_the_documented_blake2b_prefix() -> None:
    # The first 8 bytes, big-endian, of BLAKE2b (64-byte digest) of b"events_0\x00k",
    # pinned: a change of the function, which would move every row, cannot go unnoticed.
    assert score("events_0", "k") == 0x579F35E15831FCE4


def test_a_uuid_key_is_hashed_as_its_hex_digits() -> None:
    id = UUID("0190a6f2-7c3e-7a1b-9c4d-1234567890ab")
    assert canonical(id) == "0190a6f27c3e7a1b9c4d1234567890ab"
    assert canonical(7) == "7"


@pytest.mark.parametrize("n", [2, 3, 5, 9])
def test_adding_a_shard_moves_about_one_in_n_plus_one_keys_only_onto_it(n: int) -> None:
    before = [f"db_{i}" for i in range(n)]
    after = [*before, "db_new"]
    moved = 0
    for key in KEYS:
        old, new = owner(key, before), owner(key, after)
        if old != new:
            moved += 1
            assert new == "db_new"  # never from one old shard to another
    expected = len(KEYS) / (n + 1)
    assert abs(moved - expected) < 0.1 * expected, (moved, expected)


def test_the_keys_are_spread_evenly() -> None:
    shards = [f"db_{i}" for i in range(4)]
    counts = {shard: 0 for shard in shards}
    for key in KEYS:
        counts[owner(key, shards)] += 1
    assert all(abs(count - len(KEYS) / 4) < 0.05 * len(KEYS) / 4 for count in counts.values()), counts


def test_the_ranking_starts_with_the_owner_and_its_runner_up_was_the_owner_before() -> None:
    before = ["a", "b", "c"]
    for _ in range(500):
        key = canonical(uuid4())
        ranking = ranked(key, [*before, "d"])
        assert ranking[0] == owner(key, [*before, "d"])
        assert sorted(ranking) == ["a", "b", "c", "d"]
        previous = next(shard for shard in ranking if shard in before)
        assert previous == owner(key, before)
