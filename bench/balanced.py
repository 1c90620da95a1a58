"""Instances of the service behind HAProxy, as one server to the bench: each instance a
`python -m app` of its own on a loopback port, HAProxy in front with docker/haproxy.cfg
(rendered as the load-balancer tests render it). Its CPU and RSS are the instances', as a
WORKERS server's are its processes'; the balancer's CPU is counted apart."""

from __future__ import annotations

import time
import urllib.request
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

from bench.servers import Server, StartFailed
from tests.support.haproxy import HAPROXY, SERVED_BY, command, rendered
from tests.support.ports import free_port

ROTATION_TIMEOUT = 30.0


@dataclass
class Balanced(Server):
    """HAProxy at `port`, in front of `instances` (started with it, stopped with it)."""

    instances: Sequence[Server] = field(default=())

    def start(self) -> None:
        if HAPROXY is None:
            raise StartFailed(f"{self.name}: haproxy is not installed (Debian: apt-get install haproxy)")
        try:
            for instance in self.instances:
                instance.start()
            super().start()
            self._until_in_rotation()
        except StartFailed:
            self.stop()
            raise

    def _until_in_rotation(self) -> None:
        """Until HAProxy's health checks have let every instance in: answers come from each."""
        wanted = {instance.name for instance in self.instances}
        seen: set[str] = set()
        deadline = time.monotonic() + ROTATION_TIMEOUT
        while time.monotonic() < deadline:
            seen = {self._served_by() for _ in range(3 * len(wanted))}
            if seen == wanted:
                return
            time.sleep(0.2)
        raise StartFailed(f"{self.name}: only {sorted(seen)} of {sorted(wanted)} in rotation")

    def _served_by(self) -> str:
        try:
            with urllib.request.urlopen(self.url + "/health/live", timeout=2) as response:
                return str(response.headers.get(SERVED_BY, ""))
        except OSError:
            return ""

    def stop(self) -> None:
        super().stop()
        for instance in self.instances:
            instance.stop()

    def alive(self) -> bool:
        return super().alive() and all(instance.alive() for instance in self.instances)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(
            f"{server.name}:\n{Server.log_tail(server, lines)}" for server in (self, *self.instances)
        )

    def processes(self) -> list[psutil.Process]:
        return [process for instance in self.instances for process in instance.processes()]

    def balancer_cpu_seconds(self) -> float | None:
        times = psutil.Process(self.pid).cpu_times()
        return float(times.user + times.system)


def balanced(name: str, instances: Sequence[Server], workdir: Path) -> Balanced:
    """HAProxy on a free port with docker/haproxy.cfg, its upstreams `instances` by name."""
    config = workdir / "haproxy.cfg"
    config.write_text(rendered({instance.name: instance.port for instance in instances}))
    port = free_port()
    return Balanced(
        name=name,
        command=command(config),
        environment={"LB_BIND": f"127.0.0.1:{port}"},
        port=port,
        log=workdir / "haproxy.log",
        cwd=workdir,
        ready_path="/health/ready",
        instances=instances,
    )
