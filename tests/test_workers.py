"""WORKERS: how many processes serve, what they may cost each database server, and
proof through real processes that every worker serves with the service's HTTP limits
while migrations run once, in the launcher."""

from __future__ import annotations

import asyncio
import logging
import os
import re
import signal
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import Any

import asyncpg
import httpx
import pymysql
import pytest
from sqlalchemy import make_url

from app.connection_budget import SHARE
from settings import Settings
from tests.conftest import backend_database
from tests.support import backends, workers
from tests.support.service import container, serve, settings

PROBES = 60  # connections opened, at most, until each worker has answered one


def test_workers_auto_is_the_cores_this_process_may_use() -> None:
    assert Settings(_env_file=None, WORKERS="auto").WORKERS == len(os.sched_getaffinity(0))
    assert Settings(_env_file=None, WORKERS="3").WORKERS == 3
    assert Settings(_env_file=None).WORKERS == 1


@pytest.mark.parametrize("value", ["0", "-1", "many"])
def test_workers_refuses_what_is_not_a_count(value: str) -> None:
    with pytest.raises(ValueError, match="WORKERS"):
        Settings(_env_file=None, WORKERS=value)


async def _postgres_limit(url: str) -> int:
    connection = await asyncpg.connect(str(make_url(url).set(drivername="postgresql")))
    try:
        return int(await connection.fetchval("SHOW max_connections"))
    finally:
        await connection.close()


def _mysql_limit(url: str) -> int:
    parsed = make_url(url)
    connection = pymysql.connect(
        host=parsed.host, port=parsed.port or 3306, user=parsed.username, password=parsed.password or ""
    )
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT @@max_connections")
            (limit,) = cursor.fetchone()
        return int(limit)
    finally:
        connection.close()


@pytest.mark.parametrize("backend", ["postgres", "mysql"])
async def test_the_connection_budget_is_logged_and_warned_past_its_share_of_the_servers_limit(
    backend: str, request: pytest.FixtureRequest, sqlite_dir: Path, caplog: pytest.LogCaptureFixture
) -> None:
    where = backend_database(request, backend, "budget")
    url = where["CONNECTION_STRING"]
    limit = await _postgres_limit(url) if backend == "postgres" else _mysql_limit(url)
    workers_count = 4
    # Per worker: under the share of the limit once, over it with 4 workers.
    per_worker = int(SHARE * limit) // workers_count + 1
    logged: dict[int, list[logging.LogRecord]] = {}
    for count in (1, workers_count):
        config = settings(
            DB_TYPE="sqlite",
            DB_NAME=str(sqlite_dir / "budget-primary.db"),
            WORKERS=count,
            DATABASES={"products_db": {**where, "POOL_SIZE": per_worker - 2, "MAX_OVERFLOW": 2}},
        )
        caplog.clear()
        with caplog.at_level(logging.INFO, logger="multidb"):
            async with serve(container(config)):
                pass
        logged[count] = [record for record in caplog.records if "connections" in record.getMessage()]

    one, four = ([record.getMessage() for record in logged[n]] for n in (1, workers_count))
    pool = f"(POOL_SIZE {per_worker - 2} + MAX_OVERFLOW 2)"
    assert f"database products_db: up to {per_worker} connections: 1 worker(s) x {pool}" in one
    assert not [record for record in logged[1] if record.levelno >= logging.WARNING], one
    assert any(f"of its max_connections {limit}" in line for line in one), one
    total = workers_count * per_worker
    warnings = [record.getMessage() for record in logged[workers_count] if record.levelno == logging.WARNING]
    assert len(warnings) == 1, four
    share = f"over {round(SHARE * 100)}% of the server's max_connections {limit}"
    assert f"the service may open {total} connections (products_db {total}), {share}" in warnings[0]


def _upgrades(log: str) -> list[int]:
    return [
        int(pid)
        for pid in re.findall(r"\[(\d+)\] INFO multidb\.adapters: database \S+: schema upgraded", log)
    ]


async def _answered_by(
    service: Any, request: bytes
) -> tuple[asyncio.StreamReader, asyncio.StreamWriter, int]:
    """A connection of its own, one request answered on it, and its local port."""
    reader, writer = await asyncio.open_connection("127.0.0.1", service.port)
    writer.write(request)
    await writer.drain()
    head = await reader.readuntil(b"\r\n\r\n")
    length = int(re.search(rb"content-length: (\d+)", head, re.IGNORECASE).group(1))  # type: ignore[union-attr]
    await reader.readexactly(length)
    return reader, writer, writer.get_extra_info("sockname")[1]


async def test_two_workers_each_serve_with_the_http_limits_and_migrations_run_once(
    postgres_url: str, tmp_path: Path
) -> None:
    url = backends.sibling(postgres_url, "workers")
    backends.run(backends.recreate_postgres_database(url))  # empty: its schema to be made
    env = workers.environment(
        {"products_db": backends.database_config("postgres", url)},
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        AUTO_MIGRATE="true",
        HTTP_MAX_HEADERS="20",
    )
    health = b"GET /health HTTP/1.1\r\nhost: x\r\n\r\n"
    too_many = (
        b"GET /health HTTP/1.1\r\nhost: x\r\n" + b"".join(b"x-%d: y\r\n" % i for i in range(30)) + b"\r\n"
    )
    async with workers.running(env, tmp_path, 2) as service:
        by_pid: dict[int, tuple[asyncio.StreamReader, asyncio.StreamWriter]] = {}
        opened = []
        for _ in range(PROBES):
            reader, writer, port = await _answered_by(service, health)
            opened.append(writer)
            pid = await _access_line_of(service, port)
            by_pid.setdefault(pid, (reader, writer))
            if len(by_pid) == 2:
                break
        assert len(by_pid) == 2, f"one worker answered {PROBES} connections: {service.output()}"
        refused = []
        for reader, writer in by_pid.values():  # the same connections: the same workers
            writer.write(too_many)
            await writer.drain()
            refused.append(await reader.read(65_536))
        for writer in opened:
            writer.close()
    log = service.output()
    assert all(answer.startswith(b"HTTP/1.1 431 ") for answer in refused), refused
    assert set(by_pid) == workers.started_pids(log) == workers.finished_pids(log)
    upgrades = _upgrades(log)  # the SQLite primary and products_db, each once, by the launcher
    assert len(upgrades) == 2, log
    assert set(upgrades).isdisjoint(by_pid), log


async def _access_line_of(service: Any, port: int) -> int:
    """The worker that logged the answer to the client's `port` (written just after it)."""
    for _ in range(100):
        pid = workers.pid_of_client_port(service.output(), port)
        if pid is not None:
            return pid
        await asyncio.sleep(0.05)
    raise AssertionError(f"no access line for port {port}: {service.output()}")


async def test_sighup_replaces_every_worker_while_every_request_is_answered(
    postgres_url: str, tmp_path: Path, figure: Callable[[str], None]
) -> None:
    env = workers.environment(
        {"products_db": backends.database_config("postgres", postgres_url)},
        DB_TYPE="sqlite",
        DB_NAME=str(tmp_path / "primary.db"),
        AUTO_MIGRATE="true",
    )
    run = uuid.uuid4().hex[:8]
    statuses: list[int] = []
    async with workers.running(env, tmp_path, 2) as service:
        before = workers.started_pids(service.output())
        done = asyncio.Event()

        async def write(client: httpx.AsyncClient, writer: int) -> None:
            while not done.is_set():  # a connection error would fail the test here
                body = {"sku": f"hup-{run}-{writer}-{len(statuses)}", "name": "H", "price": "1"}
                statuses.append((await client.post("/products", json=body)).status_code)

        async with workers.fresh_connections(service.base_url) as client:
            writers = [asyncio.create_task(write(client, n)) for n in range(4)]
            service.process.send_signal(signal.SIGHUP)
            for _ in range(1200):  # bounded: 2 minutes
                log = service.output()
                if before <= workers.finished_pids(log) and len(workers.started_pids(log)) == 4:
                    break
                await asyncio.sleep(0.1)
            done.set()
            await asyncio.gather(*writers)
    log = service.output()
    replacements = workers.started_pids(log) - before
    assert len(replacements) == 2, log
    assert before <= workers.finished_pids(log), log
    assert statuses, "nothing was written during the reload"
    assert set(statuses) == {201}, statuses
    figure(f"SIGHUP to WORKERS=2 under 4 writers: both workers replaced, {len(statuses)} writes, all 201")
