"""Server processes: started apart from the bench, waited for, watched and stopped by pid."""

from __future__ import annotations

import os
import signal
import subprocess
import time
import urllib.error
import urllib.request
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import psutil

START_TIMEOUT = 60.0


class StartFailed(Exception):
    pass


@dataclass
class Server:
    """One process serving HTTP on 127.0.0.1:`port`, its output in `log`."""

    name: str
    command: Sequence[str]
    environment: Mapping[str, str]
    port: int
    log: Path
    cwd: Path
    ready_path: str = "/health"
    process: subprocess.Popen[bytes] | None = field(default=None, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    @property
    def pid(self) -> int:
        if self.process is None:
            raise RuntimeError(f"{self.name} is not started")
        return self.process.pid

    def start(self) -> None:
        with self.log.open("ab") as log:
            self.process = subprocess.Popen(
                list(self.command),
                env=dict(self.environment),
                cwd=self.cwd,
                stdin=subprocess.DEVNULL,
                stdout=log,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        deadline = time.monotonic() + START_TIMEOUT
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise StartFailed(f"{self.name} exited with {self.process.returncode}:\n{self.log_tail()}")
            if self._answers():
                return
            time.sleep(0.2)
        self.stop()
        raise StartFailed(
            f"{self.name} did not answer {self.ready_path} in {START_TIMEOUT:g}s:\n{self.log_tail()}"
        )

    def settle(self, path: str, timeout: float = 60.0) -> None:
        """Waits, at most `timeout`, until `path` answers within 2 s: requests that wrk gave up
        on may still be queued in the server or its database, and would slow the next run."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline and self.alive() and not self._answers(path):
            time.sleep(0.5)

    def _answers(self, path: str | None = None) -> bool:
        try:
            with urllib.request.urlopen(self.url + (path or self.ready_path), timeout=2) as response:
                return bool(response.status == 200)
        except (OSError, urllib.error.URLError):
            return False

    def alive(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        if self.process is None or self.process.poll() is not None:
            return
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=15)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait(timeout=5)

    def log_tail(self, lines: int = 30) -> str:
        return "\n".join(self.log.read_text(errors="replace").splitlines()[-lines:])

    def processes(self) -> list[psutil.Process]:
        """The server's process and, under WORKERS, its workers."""
        process = psutil.Process(self.pid)
        return [process, *process.children(recursive=True)]

    def reset_peak_rss(self) -> bool:
        """Resets the kernel's peak RSS of each process (Linux: clear_refs 5); False if it cannot."""
        try:
            for process in self.processes():
                Path(f"/proc/{process.pid}/clear_refs").write_text("5")
        except OSError:
            return False
        return True

    def peak_rss(self) -> int:
        """The peak resident set of its processes, added up, in bytes (VmHWM)."""
        return sum(_peak_rss(process) for process in self.processes())

    def cpu_seconds(self) -> float:
        """User and system time of its processes, added up."""
        return sum(float(times.user + times.system) for times in (p.cpu_times() for p in self.processes()))

    def balancer_cpu_seconds(self) -> float | None:
        """User and system time of a load balancer in front of its processes: none here
        (bench/balanced.py has one)."""
        return None


def _peak_rss(process: psutil.Process) -> int:
    for line in Path(f"/proc/{process.pid}/status").read_text().splitlines():
        if line.startswith("VmHWM:"):
            return int(line.split()[1]) * 1024
    return int(process.memory_info().rss)


def clean_environment() -> dict[str, str]:
    """This process's environment without anything the service would read as its settings."""
    prefixes = (
        *("DB_", "DATABASES", "SHARDS", "TENANT", "HOST", "PORT"),
        *("LOG_LEVEL", "LOG_FORMAT", "HEALTH_TIMEOUT", "RETRY_AFTER", "BENCH_", "WORKERS"),
    )
    return {name: value for name, value in os.environ.items() if not name.startswith(prefixes)}
