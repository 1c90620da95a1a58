"""python -m bench.observability: what leaving the observability on costs.

The service with OBSERVED_SETTINGS (bench/variants.py: metrics and JSON logs) against the
service without them, alternated under wrk on GET /products/{id} and POST /products. By
default as `make bench` runs them, and as issue 15 measures its cost: "on" at INFO (one
JSON access line per request), "off" at WARNING (no line per request). With --log-level,
both at that level: at WARNING the metrics alone; at INFO the JSON line against a text one.
With --off-code, "without them" is the service of another checkout (e.g. `git archive main
| tar -x -C /tmp/main`, from before request ids), to measure what is always on. Prints and
appends to results/observability.md: each ratio is the median over rounds of on ÷ off, the
runs of one round adjacent in time.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from statistics import median

from bench.backends import BACKENDS, OBSERVED, SERVICE
from bench.load import WORKLOADS
from bench.report import ratio
from bench.run import Contender, Options, Outcome, measure_in_turn, prepared, started_servers
from bench.servers import Server
from bench.variants import OBSERVED_LOG_LEVEL, OBSERVED_SETTINGS, service_server

logger = logging.getLogger("bench")
MEASURED = ("GET one", "POST")
OFF = "off"


def contenders(service: Server, on: Server) -> list[Contender]:
    return [
        Contender(workload, server)
        for workload in WORKLOADS
        if workload.name in MEASURED
        for server in (service, on)
    ]


def servers(
    environment: dict[str, str], workdir: Path, off_code: Path | None, levels: tuple[str, str]
) -> tuple[Server, Server]:
    """(off, on), at `levels` (off's, on's)."""
    on_environment = {**environment, **OBSERVED_SETTINGS, "LOG_LEVEL": levels[1]}
    on = service_server(OBSERVED, on_environment, workdir / "observed.log")
    environment = {**environment, "LOG_LEVEL": levels[0]}
    if off_code is None:
        return service_server(SERVICE, environment, workdir / "service.log"), on
    off = service_server(OFF, {**environment, "PYTHONPATH": str(off_code)}, workdir / "off.log")
    return replace(off, cwd=off_code), on


def report(outcome: Outcome, backend: str, off_name: str, levels: tuple[str, str]) -> str:
    off = "the service without them" if off_name == SERVICE else "the service of the --off-code checkout"
    lines = [
        f"## {backend}: the service with {OBSERVED_SETTINGS} at LOG_LEVEL={levels[1]} ÷ {off} "
        f"at LOG_LEVEL={levels[0]}\n",
        "| workload | req/s on | req/s off | req/s on ÷ off | CPU µs/req on | CPU µs/req off |",
        "|---|---:|---:|---:|---:|---:|",
    ]
    for workload in MEASURED:
        mine = [s for s in outcome.samples if s.workload == workload and s.variant == OBSERVED]
        theirs = [s for s in outcome.samples if s.workload == workload and s.variant == off_name]
        if not mine or not theirs:
            continue
        share = ratio(mine, theirs, "requests_per_s")
        lines.append(
            f"| {workload} | {median(s.requests_per_s for s in mine):,.0f} "
            f"| {median(s.requests_per_s for s in theirs):,.0f} | {share:.3f} "
            f"| {median(s.cpu_us_per_request for s in mine):,.0f} "
            f"| {median(s.cpu_us_per_request for s in theirs):,.0f} |"
        )
    return "\n".join(lines) + "\n"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(prog="python -m bench.observability", description=__doc__)
    parser.add_argument("--backend", default="postgres", choices=list(BACKENDS))
    parser.add_argument("--url", help="the database (dropped and created again); default the bench's")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--off-code", type=Path, help="a checkout whose service is the 'off' variant")
    parser.add_argument(
        "--log-level", help=f"both variants' LOG_LEVEL (default: on at {OBSERVED_LOG_LEVEL}, off at WARNING)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "observability.md")
    args = parser.parse_args(argv)
    levels = (args.log_level or "WARNING", args.log_level or OBSERVED_LOG_LEVEL)
    backend = BACKENDS[args.backend]
    urls = {backend.key: args.url} if args.url else {}
    options = Options((backend.key,), args.seconds, args.warmup, args.runs, args.seed, urls=urls)
    outcome = Outcome()
    with (
        tempfile.TemporaryDirectory(prefix="multidb-observability-") as scratch,
        prepared(backend, options, Path(scratch)) as ready,
    ):
        off, on = servers(ready.environment, ready.workdir, args.off_code, levels)
        with started_servers(backend.name, [off, on], outcome.problems) as running:
            if len(running) == 2:
                measure_in_turn(backend.name, contenders(off, on), options, ready.ids_file, outcome)
    text = report(outcome, backend.name, off.name, levels)
    if outcome.problems:
        text += "\nProblems:\n" + "\n".join(f"- {problem}" for problem in outcome.problems) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as written:
        written.write(text + "\n")
    print(text)
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
