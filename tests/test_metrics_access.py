"""Who may read /metrics: with API_KEYS on, any key, or METRICS_KEY (a key for /metrics
alone); without them, anyone, unless METRICS_KEY is set; nobody with METRICS=false."""

from __future__ import annotations

from typing import Any

import pytest
from pydantic import ValidationError

from settings import describe_validation_error
from tests.contract.helpers import problem
from tests.support.metrics import scrape
from tests.support.service import container, serve, settings

KEY = "full-key-0123456789abcdef"
READ_ONLY_KEY = "read-only-key-0123456789"
METRICS_KEY = "metrics-key-0123456789ab"


def bearer(key: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {key}"}


@pytest.mark.parametrize(
    ("configured", "allowed", "refused"),
    [
        ({}, [{}], []),
        (
            {"API_KEYS": f"{KEY},ro:{READ_ONLY_KEY}"},
            [bearer(KEY), bearer(READ_ONLY_KEY)],
            [{}, bearer(METRICS_KEY)],
        ),
        (
            {"API_KEYS": KEY, "METRICS_KEY": METRICS_KEY},
            [bearer(KEY), bearer(METRICS_KEY)],
            [{}, bearer("wrong-key-0123456789abcd")],
        ),
        ({"METRICS_KEY": METRICS_KEY}, [bearer(METRICS_KEY)], [{}, bearer(KEY)]),
    ],
    ids=["open", "api-keys", "api-keys-and-metrics-key", "metrics-key"],
)
async def test_who_may_read_metrics(
    configured: dict[str, Any], allowed: list[dict[str, str]], refused: list[dict[str, str]]
) -> None:
    async with serve(container(settings(DB_TYPE="memory", **configured))) as client:
        for headers in allowed:
            assert "multidb_db_up" in (await scrape(client, **headers)).names()
        for headers in refused:
            response = await client.get("/metrics", headers=headers)
            problem(response, 401)
            assert "multidb_db" not in response.text
        if "METRICS_KEY" in configured and "API_KEYS" in configured:  # it opens nothing else
            problem(await client.get("/products", headers=bearer(METRICS_KEY)), 401)


async def test_metrics_off_measure_nothing_and_answer_404() -> None:
    built = container(settings(DB_TYPE="memory", METRICS=False))
    async with serve(built) as client:
        assert (await client.get("/products")).status_code == 200
        problem(await client.get("/metrics"), 404)
        assert built.observer().recorders == {}
        adapter = built.databases.default()
        assert "get" not in vars(adapter), "an operation was wrapped with metrics and tracing off"


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("tiny-key", "METRICS_KEY: is shorter than 16 characters"),
        ("a-key-with-a space-in-it", "METRICS_KEY: may hold only"),
        ("ro:read-only-metrics-key", "METRICS_KEY: one key, without ro: or @tenant"),
        ("metrics-key-0123456789ab,another-key-0123456789", "METRICS_KEY:"),
    ],
)
def test_a_metrics_key_follows_the_api_keys_rules(value: str, message: str) -> None:
    with pytest.raises(ValidationError) as raised:
        settings(METRICS_KEY=value)
    said = describe_validation_error(raised.value)  # what the service prints
    assert message in said
    assert value not in said
