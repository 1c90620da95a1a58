"""Damaged read-your-writes tokens: whatever a client (or a cookie planted from a sibling
domain) sends as X-Consistency-Token or the consistency_token cookie, every route
answers as it would without it, never a 500, and the client's reads go to the primary."""

from __future__ import annotations

import base64
import json
import logging
import random
from collections.abc import AsyncIterator, Iterator
from typing import Any
from uuid import uuid4

import httpx
import pytest
from fastapi import APIRouter

from app import consistency
from app.api.consistency import OncePerClient
from app.consistency import encode, parse
from tests.support.service import container, serve, settings

KEY = "token-fuzz-key-0123456789"
SEED = 1717


def _b64(raw: bytes) -> str:
    return base64.urlsafe_b64encode(raw).decode().rstrip("=")


def damaged_tokens() -> Iterator[str]:
    """Seeded random bytes, deep nesting, huge numbers, wrong types and near misses."""
    rng = random.Random(SEED)
    for _ in range(8):  # random bytes, as sent and as base64
        raw = bytes(rng.randrange(0x20, 0x100) for _ in range(rng.randrange(1, 600)))
        yield raw.decode("latin-1")
        yield _b64(raw)
    for opener in ("[", "{", '{"a":', '{"a":['):
        for depth in (1_000, 3_000):
            yield _b64((opener * depth).encode())
    yield _b64(b"1" * 3_000)  # past int()'s digit limit as a JSON number
    yield _b64(b'{"products_db":' + b"9" * 3_000 + b"}")
    yield _b64(b'{"products_db":1e999999}')
    wrong: Any
    for wrong in ([], "x", 1, None, True, {"a": 1}, {"a": ["x"]}, {"a": {"b": "c"}}, {"a": None}):
        yield _b64(json.dumps(wrong).encode())
    yield _b64(b'{"products_db":"16/B374D848"')  # cut short
    yield _b64(b'{"products_db":"\\u0000"}')  # an escape
    yield _b64(b'{"products_db":"a\\"b"}')
    yield _b64(b'{"' + b"n" * 200 + b'":"1/1"}')  # a name too long
    yield "A" * 5_000  # longer than any token
    yield encode({"products_db": "1/1"}) + "="  # padding is not ours
    yield encode({"products_db": "1/1"}) + "!"


def requests_of(document: dict[str, Any]) -> list[tuple[str, str]]:
    """Every operation of the OpenAPI document, an id filled in, and the document itself."""
    found = [("GET", "/openapi.json"), ("GET", "/docs")]
    for path, operations in document["paths"].items():
        found += [(method.upper(), path.replace("{id}", str(uuid4()))) for method in operations]
    return found


@pytest.fixture
async def client(mongodb_url: str) -> AsyncIterator[httpx.AsyncClient]:
    probe = APIRouter()

    @probe.get("/probe/consistency")
    async def read_consistency() -> dict[str, Any]:
        current = consistency.current()
        return {"primary_only": current.primary_only, "seen": current.seen}

    # users_db on MongoDB, whose causal reads make tokens mean something: the token
    # middleware is there, as in any deployment where a token can be presented.
    users_db = {"DB_TYPE": "mongodb", "CONNECTION_STRING": mongodb_url, "DB_NAME": "multidb_token_fuzz"}
    config = settings(DB_TYPE="memory", API_KEYS=KEY, DATABASES={"users_db": users_db})
    async with serve(container(config), probe) as served:
        yield served


async def test_damaged_tokens_on_every_route_never_answer_500(
    client: httpx.AsyncClient, caplog: pytest.LogCaptureFixture
) -> None:
    document = (await client.get("/openapi.json", headers={"Authorization": f"Bearer {KEY}"})).json()
    requests = requests_of(document)
    auth = {b"authorization": f"Bearer {KEY}".encode()}
    assert len(requests) >= 21
    statuses: dict[int, int] = {}
    sent = 0
    with caplog.at_level(logging.INFO):
        for token in damaged_tokens():
            assert parse(token) is None, token[:80]
            for method, path in requests:
                value = token.encode("latin-1")  # as a client sends it: bytes, not only ASCII
                carriers = ({b"x-consistency-token": value}, {b"cookie": b"consistency_token=" + value})
                for carried in carriers:
                    # Without a key only the public /health gets past the key check to the token.
                    keys: tuple[dict[bytes, bytes], ...] = ({}, auth) if path == "/health" else (auth,)
                    for key in keys:
                        response = await client.request(
                            method, path, headers={**carried, **key}, json={} if method != "GET" else None
                        )
                        statuses[response.status_code] = statuses.get(response.status_code, 0) + 1
                        sent += 1
                        assert response.status_code < 500, (method, path, token[:80], response.text)
    print(f"reliability figures: {sent} requests with damaged tokens, answers {sorted(statuses.items())}")
    assert not [record for record in caplog.records if record.levelno >= logging.ERROR]
    warnings = [record for record in caplog.records if record.name == "multidb.consistency"]
    assert len(warnings) == 1, [record.getMessage() for record in warnings]  # once per client a minute
    assert "127.0.0.1" in warnings[0].getMessage()


async def test_a_damaged_token_reads_from_the_primary_and_a_good_one_is_kept(
    client: httpx.AsyncClient,
) -> None:
    auth = {"Authorization": f"Bearer {KEY}"}
    good = encode({"products_db": "16/B374D848", "users_db": "0-1-42,1-2-7"})
    for carried in ({"X-Consistency-Token": good}, {"Cookie": f"a=b; consistency_token={good}; c=d"}):
        answer = (await client.get("/probe/consistency", headers={**auth, **carried})).json()
        assert answer == {"primary_only": False, "seen": parse(good)}
    damaged = _b64(b"[" * 1_000)
    for carried in ({"X-Consistency-Token": damaged}, {"Cookie": f"consistency_token={damaged}"}):
        answer = (await client.get("/probe/consistency", headers={**auth, **carried})).json()
        assert answer == {"primary_only": True, "seen": {}}
    plain = (await client.get("/probe/consistency", headers=auth)).json()
    assert plain == {"primary_only": False, "seen": {}}


def test_damaged_tokens_are_logged_once_a_minute_per_client() -> None:
    once = OncePerClient(interval=60, size=3)
    assert [once("a"), once("a"), once("b"), once("a")] == [True, False, True, False]
    for client in ("c", "d", "e"):  # "a" is forgotten: the memory stays bounded
        once(client)
    assert once("a") is True
