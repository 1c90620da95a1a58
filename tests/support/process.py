"""The service as a real process, `python -m app`, configured by its environment."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from collections.abc import Sequence
from pathlib import Path

import httpx

from tests.support.ports import free_port

SERVICE_VARIABLES = (
    "DB_",
    "DATABASES",
    "API_KEYS",
    "MAX_BODY_BYTES",
    "AUTO_MIGRATE",
    "HTTP_",
    "FORWARDED_ALLOW_IPS",
    "CORS_",
    "TENANT",
    "LOG_FORMAT",  # the tests read the text lines unless they ask for JSON
    "WORKERS",
)


def service_environment(**values: str) -> dict[str, str]:
    """This process's environment without any of the service's own settings, plus `values`."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SERVICE_VARIABLES)}
    env.update(values)
    return env


class Service:
    """`python -m app` on a free port, run from `directory` (with `uvicorn`: `uvicorn
    app.main:app` and these options instead). Its output goes to a file: a pipe that
    nobody reads until the end would block the service once full."""

    def __init__(
        self,
        env: dict[str, str],
        directory: Path,
        port: int | None = None,
        uvicorn: Sequence[str] | None = None,
    ) -> None:
        self.port = port or free_port()
        self.base_url = f"http://127.0.0.1:{self.port}"
        self.log = directory / "service.log"
        command = (
            ["app"] if uvicorn is None else ["uvicorn", "app.main:app", "--port", str(self.port), *uvicorn]
        )
        with self.log.open("wb") as output:
            self.process = subprocess.Popen(
                [sys.executable, "-m", *command],
                env={**env, "PORT": str(self.port)},
                cwd=directory,
                stdout=output,
                stderr=subprocess.STDOUT,
            )

    async def wait_until_serving(self) -> None:
        async with httpx.AsyncClient(base_url=self.base_url, timeout=30) as client:
            for _ in range(300):
                if self.process.poll() is not None:
                    raise AssertionError(f"the service exited before serving: {self.output()}")
                try:
                    await client.get("/health")
                    return
                except httpx.TransportError:
                    await asyncio.sleep(0.1)
        raise AssertionError("the service did not start")

    async def stop(self) -> str:
        """Terminate the process if it still runs; everything it printed."""
        if self.process.poll() is None:
            self.process.terminate()
        await asyncio.to_thread(self.process.wait, 60)
        return self.output()

    def output(self) -> str:
        return self.log.read_text(errors="replace")
