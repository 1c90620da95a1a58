"""Several worker processes, one set of numbers: two real service processes write into one
PROMETHEUS_MULTIPROC_DIR (as WORKERS>1 makes them, through multiprocess.share_between_workers),
and /metrics, asked of either, answers for both."""

from __future__ import annotations

import asyncio
from pathlib import Path
from uuid import uuid4

import httpx
import pytest

from app.observability.multiprocess import VARIABLE, share_between_workers, worker_exited
from tests.support import workers
from tests.support.metrics import Scrape, scrape
from tests.support.process import Service, service_environment

ROUTE = {"method": "GET", "route": "/products/{id}", "status": "404"}
DATABASE = {"database": "default", "type": "sqlite"}
REQUESTS = 20


async def misses(service: Service, count: int) -> None:
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        for _ in range(count):
            assert (await client.get(f"/products/{uuid4()}")).status_code == 404


async def metrics_of(service: Service) -> Scrape:
    async with httpx.AsyncClient(base_url=service.base_url) as client:
        return await scrape(client)


async def test_two_workers_sum_into_one_set_of_metrics(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(VARIABLE, "")  # restored after the test
    shared = share_between_workers(tmp_path / "metrics")
    env = service_environment(
        DB_TYPE="sqlite", DB_NAME=str(tmp_path / "primary.db"), DB_POOL_SIZE="3", METRICS_SAMPLE_SECONDS="0.1"
    )
    assert env[VARIABLE] == str(shared)
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    first, second = Service(env, tmp_path / "a"), Service(env, tmp_path / "b")
    try:
        await asyncio.gather(first.wait_until_serving(), second.wait_until_serving())
        await misses(first, 3)
        await misses(second, 5)
        await asyncio.sleep(0.5)  # each samples its pool every 0.1 s
        for asked in (first, second):
            scraped = await metrics_of(asked)
            assert scraped.value("http_server_request_duration_seconds_count", **ROUTE) == 8
            operations = "multidb_db_operation_duration_seconds_count"
            assert scraped.value(operations, **DATABASE, operation="get", outcome="not_found") == 8
            assert scraped.value("multidb_db_pool_size", **DATABASE) == 6  # 3 in each process
            assert scraped.value("multidb_db_up", **DATABASE) == 1
        await second.stop()
        worker_exited(second.process.pid)
        scraped = await metrics_of(first)
        assert scraped.value("multidb_db_pool_size", **DATABASE) == 3  # the live gauges of one
        assert scraped.value("http_server_request_duration_seconds_count", **ROUTE) == 8  # counts stay
    finally:
        for service in (first, second):
            await service.stop()


async def test_with_workers_2_every_scrape_counts_the_requests_of_both(tmp_path: Path) -> None:
    """Through the launcher itself (WORKERS=2): requests spread over both workers by the
    kernel, and whichever worker answers /metrics counts all of them."""
    env = workers.environment({}, DB_TYPE="sqlite", DB_NAME=str(tmp_path / "primary.db"), AUTO_MIGRATE="true")
    env.pop(VARIABLE, None)  # the launcher makes the directory
    async with (
        workers.running(env, tmp_path, 2) as service,
        workers.fresh_connections(service.base_url) as client,
    ):
        for _ in range(REQUESTS):
            assert (await client.get(f"/products/{uuid4()}")).status_code == 404
        assert len(workers.serving_pids(service.output())) == 2, "one worker answered every request"
        for _ in range(6):  # each scrape answered by either worker
            scraped = await scrape(client)
            assert scraped.value("http_server_request_duration_seconds_count", **ROUTE) == REQUESTS
