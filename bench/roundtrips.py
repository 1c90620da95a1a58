"""Statements per request on PostgreSQL, from the server's own log: the database is told to log
every statement (log_statement = all, for this database only, undone after), a few requests
are sent one at a time, and the lines between two markers are counted."""

from __future__ import annotations

import asyncio
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

from bench.load import WORKLOADS, Workload
from bench.parity import request
from bench.servers import Server

LOGS = Path("/var/log/postgresql")
REQUESTS = 20


@dataclass(frozen=True)
class Count:
    variant: str
    workload: str
    per_request: float
    example: tuple[str, ...]  # the statements of the first request


def server_log() -> Path | None:
    logs = sorted(LOGS.glob("postgresql-*-main.log"), key=lambda path: path.stat().st_mtime)
    return logs[-1] if logs else None


async def _execute(url: str, *statements: str) -> None:
    import asyncpg

    connection = await asyncpg.connect(url)
    try:
        for statement in statements:
            await connection.execute(statement)
    finally:
        await connection.close()


def set_statement_logging(url: str, on: bool) -> None:
    database = urlsplit(url).path.strip("/")
    value = "SET log_statement = 'all'" if on else "RESET log_statement"
    admin = url.replace(urlsplit(url).path, "/postgres", 1)
    asyncio.run(_execute(admin, f'ALTER DATABASE "{database}" {value}'))


def _send(server: Server, workload: Workload, ids: Sequence[str], number: int) -> None:
    id = ids[number % len(ids)]
    if workload.name == "GET one":
        request(server, "GET", f"/products/{id}")
    elif workload.name == "GET list":
        request(server, "GET", "/products?limit=20")
    elif workload.name == "PATCH":
        request(server, "PATCH", f"/products/{id}", {"price": "3.10", "stock": number})
    else:
        product = {"sku": f"trips-{server.name}-{time.time_ns()}", "name": "Trips", "price": "1.00"}
        request(server, "POST", "/products", product)


def _statements(lines: list[str], database: str) -> list[str]:
    marker = f"@{database} LOG:  "
    return [
        line.split(marker, 1)[1]
        for line in lines
        if marker in line and ("statement: " in line or "execute " in line)
    ]


def count(url: str, servers: Sequence[Server], ids: Sequence[str], log: Path) -> list[Count]:
    """Servers must have been started after set_statement_logging(url, True)."""
    database = urlsplit(url).path.strip("/")
    found = []
    for workload in WORKLOADS:
        for server in servers:
            _send(server, workload, ids, 0)  # a warm connection and statement caches
            time.sleep(0.3)
            start = log.stat().st_size
            _send(server, workload, ids, 1)
            time.sleep(0.3)
            first = _statements(_read_from(log, start), database)
            start = log.stat().st_size
            for number in range(2, REQUESTS + 2):
                _send(server, workload, ids, number)
            time.sleep(0.5)
            total = len(_statements(_read_from(log, start), database))
            found.append(Count(server.name, workload.name, total / REQUESTS, tuple(first)))
    return found


def _read_from(log: Path, offset: int) -> list[str]:
    with log.open(errors="replace") as file:
        file.seek(offset)
        return file.read().splitlines()


def table(counts: Sequence[Count]) -> str:
    lines = [
        "| workload | variant | statements per request | the statements of one request |",
        "|---|---|---:|---|",
    ]
    for item in counts:
        example = "<br>".join(f"`{_short(statement)}`" for statement in item.example)
        lines.append(f"| {item.workload} | {item.variant} | {item.per_request:.1f} | {example} |")
    return "\n".join(lines) + "\n"


def _short(statement: str, width: int = 90) -> str:
    text = " ".join(statement.split()).replace("|", "\\|")
    return text if len(text) <= width else text[: width - 1] + "…"
