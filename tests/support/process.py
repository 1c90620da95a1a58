"""The service as a real process, `python -m app`, configured by its environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

import httpx

from tests.support.proxy import free_port

SERVICE_VARIABLES = ("DB_", "DATABASES", "API_KEYS", "MAX_BODY_BYTES", "AUTO_MIGRATE")


def service_environment(**values: str) -> dict[str, str]:
    """This process's environment without any of the service's own settings, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_VARIABLES)}
    env.update(values)
    return env


async def start_service(env: dict[str, str], cwd: Path) -> tuple[asyncio.subprocess.Process, str]:
    """The process, serving on a free port (PORT is set here), and its base URL."""
    port = free_port()
    process = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "app",
        env={**env, "PORT": str(port)},
        cwd=cwd,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
    )
    base_url = f"http://127.0.0.1:{port}"
    async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
        await wait_until_serving(client, process)
    return process, base_url


async def stop_service(process: asyncio.subprocess.Process) -> str:
    """Terminate the process if it still runs; everything it printed."""
    if process.returncode is None:
        process.terminate()
    async with asyncio.timeout(60):
        return (await process.communicate())[0].decode(errors="replace")


async def wait_until_serving(client: httpx.AsyncClient, process: asyncio.subprocess.Process) -> None:
    for _ in range(200):
        if process.returncode is not None:
            raise AssertionError("the service exited before serving")
        try:
            await client.get("/health")
            return
        except httpx.TransportError:
            await asyncio.sleep(0.1)
    raise AssertionError("the service did not start")
