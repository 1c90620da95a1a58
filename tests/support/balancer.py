"""Several instances of the service (`python -m app` processes on loopback ports) behind
Debian's HAProxy, run with the project's own docker/haproxy.cfg (tests/support/haproxy.py)."""

from __future__ import annotations

import asyncio
import signal
import subprocess
from pathlib import Path

import httpx

from tests.support.haproxy import SERVED_BY, command, rendered
from tests.support.ports import free_port
from tests.support.process import Service
from tests.support.servers import _die_with_parent


class Cluster:
    """Instances named app1, app2, ... (HAProxy's names for them, in X-Served-By), each
    in a directory of its own under `root`, and HAProxy in front at `url`."""

    def __init__(self, env: dict[str, str], root: Path, instances: int) -> None:
        self.env = env
        self.root = root
        self.ports = {f"app{i}": free_port() for i in range(1, instances + 1)}
        self.services: dict[str, Service] = {}
        self.lb_port = free_port()
        self.url = f"http://127.0.0.1:{self.lb_port}"
        self.log = root / "haproxy.log"
        self.balancer: subprocess.Popen[bytes] | None = None

    async def start(self) -> None:
        for name in self.ports:
            await self.start_instance(name)
        self._spawn_balancer()
        await self.until_in_rotation(set(self.ports))

    def _spawn_balancer(self) -> None:
        config = self.root / "haproxy.cfg"
        config.write_text(rendered(self.ports))
        with self.log.open("wb") as output:
            self.balancer = subprocess.Popen(
                command(config),
                env={"LB_BIND": f"127.0.0.1:{self.lb_port}"},
                stdout=output,
                stderr=subprocess.STDOUT,
                preexec_fn=_die_with_parent,  # none left behind by a run killed before its teardown
            )

    async def start_instance(self, name: str) -> None:
        directory = self.root / name
        directory.mkdir(exist_ok=True)
        service = Service(self.env, directory, port=self.ports[name])
        self.services[name] = service
        await service.wait_until_serving()

    async def revive(self) -> None:
        """Every instance running and in rotation again, whatever a test before left dead."""
        for name, service in list(self.services.items()):
            if service.process.poll() is not None:
                await self.start_instance(name)
        await self.until_in_rotation(set(self.ports))

    def kill(self, name: str) -> None:
        process = self.services[name].process
        process.kill()
        process.wait(timeout=30)

    def freeze(self, name: str) -> None:
        """SIGSTOP: the kernel still accepts its connections, nothing answers them."""
        self.services[name].process.send_signal(signal.SIGSTOP)

    async def until_in_rotation(self, names: set[str], attempts: int = 300) -> None:
        """Poll through the balancer until exactly `names` answer: every one of them
        passed HAProxy's health checks, and no other instance is sent requests."""
        seen: list[str] = []
        async with httpx.AsyncClient(base_url=self.url, timeout=10) as client:
            for _ in range(attempts):
                if self.balancer is not None and self.balancer.poll() is not None:
                    raise AssertionError(f"haproxy exited: {self.log.read_text(errors='replace')}")
                try:
                    answers = [await client.get("/health/live") for _ in range(3 * len(self.ports))]
                    seen = [answer.headers.get(SERVED_BY, "") for answer in answers]
                    if all(a.status_code == 200 for a in answers) and set(seen) == names:
                        return
                except httpx.TransportError:
                    pass
                await asyncio.sleep(0.1)
        raise AssertionError(f"never only {sorted(names)} in rotation; last answered by {seen}")

    def balancer_log(self) -> list[str]:
        return self.log.read_text(errors="replace").splitlines()

    async def stop(self) -> None:
        if self.balancer is not None and self.balancer.poll() is None:
            self.balancer.terminate()
            self.balancer.wait(timeout=30)
        for service in self.services.values():
            await service.stop()
