"""wrk runs: one workload against one server, at a fixed concurrency, and what wrk reports."""

from __future__ import annotations

import re
import subprocess
from dataclasses import dataclass
from pathlib import Path

LUA = Path(__file__).parent / "lua"
WRK = "wrk"
UNITS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


@dataclass(frozen=True)
class Workload:
    name: str
    path: str
    script: str | None = None  # in bench/lua/
    uses_ids: bool = False


WORKLOADS = (
    Workload("GET one", "/products", "get.lua", uses_ids=True),
    Workload("GET list", "/products?limit=20"),
    Workload("PATCH", "/products", "patch.lua", uses_ids=True),
    # Last: it grows the table, which would slow the counts of GET list after it.
    Workload("POST", "/products", "post.lua"),
)


@dataclass(frozen=True)
class Load:
    connections: int = 32
    threads: int = 2
    timeout_s: float = 10.0


@dataclass(frozen=True)
class WrkResult:
    requests: int
    seconds: float
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    non_2xx: int
    socket_errors: int
    output: str

    @property
    def failed(self) -> int:
        return self.non_2xx + self.socket_errors + (self.requests == 0)


class WrkError(Exception):
    pass


def wrk_command(url: str, workload: Workload, load: Load, seconds: float, args: list[str]) -> list[str]:
    command = [WRK, f"-t{load.threads}", f"-c{load.connections}", f"-d{seconds:g}s", "--latency"]
    command += ["--timeout", f"{load.timeout_s:g}s"]
    if workload.script is not None:
        command += ["-s", str(LUA / workload.script)]
    return [*command, url + workload.path, *(["--", *args] if args else [])]


def run_wrk(url: str, workload: Workload, load: Load, seconds: float, args: list[str]) -> WrkResult:
    command = wrk_command(url, workload, load, seconds, args)
    done = subprocess.run(command, capture_output=True, text=True, timeout=seconds + load.timeout_s + 30)
    if done.returncode != 0:
        raise WrkError(f"{' '.join(command)} exited with {done.returncode}: {done.stderr.strip()}")
    return parse(done.stdout)


def _milliseconds(value: str, unit: str) -> float:
    return float(value) * UNITS[unit]


def parse(output: str) -> WrkResult:
    total = re.search(r"(\d+) requests in ([\d.]+)(us|ms|s|m),", output)
    rate = re.search(r"Requests/sec:\s+([\d.]+)", output)
    p50 = re.search(r"^\s+50%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    p99 = re.search(r"^\s+99%\s+([\d.]+)(us|ms|s|m)\s*$", output, re.MULTILINE)
    if total is None or rate is None:
        raise WrkError(f"cannot read wrk's output:\n{output}")
    non_2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", output)
    errors = re.search(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)", output)
    return WrkResult(
        requests=int(total[1]),
        seconds=_milliseconds(total[2], total[3]) / 1000,
        requests_per_s=float(rate[1]),
        p50_ms=_milliseconds(p50[1], p50[2]) if p50 else float("nan"),
        p99_ms=_milliseconds(p99[1], p99[2]) if p99 else float("nan"),
        non_2xx=int(non_2xx[1]) if non_2xx else 0,
        socket_errors=sum(int(count) for count in errors.groups()) if errors else 0,
        output=output,
    )
