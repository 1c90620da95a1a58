"""`python -m app` with WORKERS processes, and which of them served what: with several
workers, every log line carries the pid of the process that wrote it."""

from __future__ import annotations

import asyncio
import re
from collections.abc import AsyncIterator, Mapping
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import httpx

from tests.support.process import Service, service_environment

_ACCESS = re.compile(r"\[(\d+)\] INFO uvicorn\.access: [\d.]+:(\d+) - ")
_STARTED = re.compile(r"\[(\d+)\] INFO uvicorn\.error: Started server process")
_STARTUP_COMPLETE = re.compile(r"(?:\[\d+\] )?INFO uvicorn\.error: Application startup complete")
_FINISHED = re.compile(r"\[(\d+)\] INFO uvicorn\.error: Finished server process")


def environment(databases: Mapping[str, Mapping[str, Any]], **values: str) -> dict[str, str]:
    """The service's environment for named databases given as DATABASES__<name>__* values."""
    named = {
        f"DATABASES__{name}__{field}": str(value)
        for name, config in databases.items()
        for field, value in config.items()
    }
    return service_environment(**named, **values)


def serving_pids(log: str) -> set[int]:
    """The worker processes that answered at least one request."""
    return {int(pid) for pid, _ in _ACCESS.findall(log)}


def started_pids(log: str) -> set[int]:
    return {int(pid) for pid in _STARTED.findall(log)}


def finished_pids(log: str) -> set[int]:
    return {int(pid) for pid in _FINISHED.findall(log)}


def pid_of_client_port(log: str, port: int) -> int | None:
    """The worker that answered a request from the client's local `port`."""
    for pid, client_port in _ACCESS.findall(log):
        if int(client_port) == port:
            return int(pid)
    return None


async def wait_for_workers(service: Service, workers: int) -> None:
    """Until every worker has finished its startup (the first to do so answers alone)."""
    for _ in range(600):
        if len(_STARTUP_COMPLETE.findall(service.output())) >= workers:
            return
        if service.process.poll() is not None:
            raise AssertionError(f"the service exited: {service.output()}")
        await asyncio.sleep(0.1)
    raise AssertionError(f"{workers} workers did not start: {service.output()}")


@asynccontextmanager
async def running(env: dict[str, str], directory: Path, workers: int) -> AsyncIterator[Service]:
    service = Service({**env, "WORKERS": str(workers)}, directory)
    try:
        await service.wait_until_serving()
        await wait_for_workers(service, workers)
        yield service
    finally:
        output = await service.stop()
        assert "Traceback" not in output, output


def fresh_connections(base_url: str, timeout: float = 30) -> httpx.AsyncClient:
    """A client that opens a connection for every request, so that the kernel hands
    each one to whichever worker accepts first."""
    return httpx.AsyncClient(
        base_url=base_url, timeout=timeout, limits=httpx.Limits(max_keepalive_connections=0)
    )
