"""What is public with API keys on, what tenants share, and the headers of every answer."""

from __future__ import annotations

import logging
from typing import Any

import pytest

from settings import ConfigurationError
from tests.contract.helpers import problem
from tests.support.service import container, serve, settings

KEY = "public-surface-key-0123456789"
AUTH = {"Authorization": f"Bearer {KEY}"}


async def test_health_without_a_key_says_only_up_or_down() -> None:
    async with serve(container(settings(DB_TYPE="memory", API_KEYS=KEY))) as client:
        public = await client.get("/health")
        keyed = await client.get("/health", headers=AUTH)
        wrong = await client.get("/health", headers={"Authorization": "Bearer not-one-of-ours-0123456"})

    assert public.status_code == 200
    assert public.json() == {"status": "ok"}
    assert wrong.json() == {"status": "ok"}
    assert set(keyed.json()["databases"]) == {"default", "users_db", "products_db", "analytics_db"}
    assert keyed.headers["cache-control"] == "no-store"
    assert "cache-control" not in public.headers


async def test_health_without_keys_configured_keeps_its_detail() -> None:
    async with serve(container(settings(DB_TYPE="memory"))) as client:
        assert "databases" in (await client.get("/health")).json()


async def test_every_answer_says_nosniff_and_keyed_ones_no_store() -> None:
    async with serve(container(settings(DB_TYPE="memory", API_KEYS=KEY))) as client:
        answers = [
            await client.get("/users", headers=AUTH),
            await client.post("/users", json={"email": "x"}, headers=AUTH),  # 422
            await client.get("/no-such-path", headers=AUTH),  # 404
            await client.get("/users"),  # 401
            await client.get("/health"),
        ]
    assert [answer.status_code for answer in answers] == [200, 422, 404, 401, 200]
    assert all(answer.headers["x-content-type-options"] == "nosniff" for answer in answers)
    assert all(answer.headers.get("cache-control") == "no-store" for answer in answers[:4])


async def test_a_trailing_slash_redirects_with_a_relative_location_whatever_the_host() -> None:
    async with serve(container(settings(DB_TYPE="memory"))) as client:
        redirect = await client.get("/users/?limit=2", headers={"Host": "evil.example"})
        nothing = await client.get("/nothing-here/", headers={"Host": "evil.example"})
        followed = await client.get(redirect.headers["location"])

    assert redirect.status_code == 307
    assert redirect.headers["location"] == "/users?limit=2"
    assert followed.json()["limit"] == 2
    problem(nothing, 404)


def tenant_settings(**values: Any) -> Any:
    memory = {"DB_TYPE": "memory"}
    return settings(
        DB_TYPE="memory",
        DATABASES={"acme_db": memory, "globex_db": memory, "analytics_db": memory},
        TENANTS={"acme": "acme_db", "globex": "globex_db"},
        TENANT_SELECTED=("users_db", "products_db"),
        TENANT_FROM="api_key",
        API_KEYS=f"{KEY}@acme",
        **values,
    )


async def test_shared_resources_are_logged_and_served_only_when_named(
    caplog: pytest.LogCaptureFixture,
) -> None:
    with caplog.at_level(logging.INFO, logger="multidb"):
        async with serve(container(tenant_settings())) as client:
            implicit = await client.get("/events", headers=AUTH)
    warned = [r.getMessage() for r in caplog.records if r.levelno == logging.WARNING]
    assert implicit.status_code == 200
    assert any("shared between tenants: /events (analytics_db)" in line for line in warned), warned

    caplog.clear()
    with caplog.at_level(logging.INFO, logger="multidb"):
        async with serve(container(tenant_settings(TENANT_SHARED=""))) as client:
            refused = await client.get("/events", headers=AUTH)
            users = await client.get("/users", headers=AUTH)
            document = (await client.get("/openapi.json", headers=AUTH)).json()
    assert refused.status_code == 404
    assert users.status_code == 200
    assert "/events" not in document["paths"]
    assert any("route /events not served" in r.getMessage() for r in caplog.records)
    assert not [r for r in caplog.records if r.levelno >= logging.WARNING]

    async with serve(container(tenant_settings(TENANT_SHARED="events"))) as client:
        assert (await client.get("/events", headers=AUTH)).status_code == 200


@pytest.mark.parametrize(
    ("shared", "message"),
    [
        ("nope", "TENANT_SHARED: nope is no resource"),
        ("users", "TENANT_SHARED: users is tenant-selected (users_db is in TENANT_SELECTED)"),
    ],
)
def test_tenant_shared_names_shared_resources_only(shared: str, message: str) -> None:
    with pytest.raises(ConfigurationError, match=message.replace("(", r"\(").replace(")", r"\)")):
        container(tenant_settings(TENANT_SHARED=shared))
