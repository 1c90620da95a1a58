"""python -m bench.observability: what leaving the observability on costs.

The service with OBSERVED_SETTINGS (bench/variants.py: metrics and JSON logs) against the
service without them, alternated under wrk on GET /products/{id} and POST /products. By
default as `make bench` runs them, and as issue 15 measures its cost: "on" at INFO (one
JSON access line per request), "off" at WARNING (no line per request). With --log-level,
both at that level: at WARNING the metrics alone; at INFO the JSON line against a text one.

A third server, the "off" service again ("control"), runs in the same rounds: its ratio to
"off" is what two servers of one build differ by on this machine (5% on the bench machine,
whose runs move by 10-15%), the yardstick for the ratio that matters.
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
CONTROL = "control: the same service again"


def contenders(*servers: Server) -> list[Contender]:
    measured = [workload for workload in WORKLOADS if workload.name in MEASURED]
    return [Contender(workload, server) for workload in measured for server in servers]


def servers(
    environment: dict[str, str], workdir: Path, off_code: Path | None, levels: tuple[str, str]
) -> tuple[Server, Server, Server]:
    """(off, on, control: off again), at `levels` (off's, on's)."""
    on_environment = {**environment, **OBSERVED_SETTINGS, "LOG_LEVEL": levels[1]}
    on = service_server(OBSERVED, on_environment, workdir / "observed.log")
    environment = {**environment, "LOG_LEVEL": levels[0]}

    def off_server(name: str, log: Path) -> Server:
        if off_code is None:
            return service_server(name, environment, log)
        server = service_server(name, {**environment, "PYTHONPATH": str(off_code)}, log)
        return replace(server, cwd=off_code)

    off = off_server(SERVICE if off_code is None else OFF, workdir / "off.log")
    return off, on, off_server(CONTROL, workdir / "control.log")


def report(outcome: Outcome, backend: str, off_name: str, levels: tuple[str, str]) -> str:
    off = "the service without them" if off_name == SERVICE else "the service of the --off-code checkout"
    lines = [
        f"## {backend}: the service with {OBSERVED_SETTINGS} at LOG_LEVEL={levels[1]} ÷ {off} "
        f"at LOG_LEVEL={levels[0]}\n",
        "| workload | server | req/s | ÷ off | CPU µs/req | ÷ off |",
        "|---|---|---:|---:|---:|---:|",
    ]
    for workload in MEASURED:
        theirs = [s for s in outcome.samples if s.workload == workload and s.variant == off_name]
        for name in (OBSERVED, CONTROL):
            mine = [s for s in outcome.samples if s.workload == workload and s.variant == name]
            if not mine or not theirs:
                continue
            lines.append(
                f"| {workload} | {name} | {median(s.requests_per_s for s in mine):,.0f} "
                f"| {_three(ratio(mine, theirs, 'requests_per_s'))} "
                f"| {median(s.cpu_us_per_request for s in mine):,.0f} "
                f"| {_three(ratio(mine, theirs, 'cpu_us_per_request'))} |"
            )
        if theirs:
            lines.append(
                f"| {workload} | {off_name} | {median(s.requests_per_s for s in theirs):,.0f} | "
                f"| {median(s.cpu_us_per_request for s in theirs):,.0f} | |"
            )
    return "\n".join(lines) + "\n"


def _three(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


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
        off, on, control = servers(ready.environment, ready.workdir, args.off_code, levels)
        with started_servers(backend.name, [off, on, control], outcome.problems) as running:
            if len(running) == 3:
                measure_in_turn(backend.name, contenders(off, on, control), options, ready.ids_file, outcome)
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
