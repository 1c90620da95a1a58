"""python -m bench.observability: what leaving the observability on costs.

Four servers of the service, alternated round by round under wrk on GET /products/{id}
and POST /products, so that the runs of one round are adjacent in time:

- "off": the service as it runs by default with its observability off: metrics off,
  text logs at LOG_LEVEL=INFO, so one text access line per request (request ids are
  always on);
- the observed service: OBSERVED_SETTINGS (bench/variants.py: metrics on, JSON logs) at
  the same level, so one JSON access line per request: issue 15's "Cost" is this ÷ off;
- "control": off again, what two servers of one build differ by in one run here;
- "no access line": off at LOG_LEVEL=WARNING, what the access line itself costs (in
  either format); the observed service ÷ it is the cost of everything together.

With --log-level, every server but "no access line" runs at that level (at WARNING, the
metrics alone). With --off-code, "off", "control" and "no access line" are the service of
another checkout (e.g. `git archive main | tar -x -C /tmp/main`), to measure what is
always on. Prints and appends to results/observability.md: each ratio is the median over
rounds of the ratio of the two runs of one round.
"""

from __future__ import annotations

import argparse
import logging
import sys
import tempfile
from dataclasses import replace
from pathlib import Path
from statistics import median

from bench.backends import BACKENDS, OBSERVED
from bench.load import WORKLOADS
from bench.report import ratio
from bench.run import Contender, Options, Outcome, Sample, measure_in_turn, prepared, started_servers
from bench.servers import Server
from bench.variants import OBSERVED_LOG_LEVEL, OBSERVED_SETTINGS, service_server

logger = logging.getLogger("bench")
MEASURED = ("GET one", "POST")
OFF = "off"
CONTROL = "control: off again"
NO_LINE = "no access line: off at LOG_LEVEL=WARNING"


def contenders(*servers: Server) -> list[Contender]:
    measured = [workload for workload in WORKLOADS if workload.name in MEASURED]
    return [Contender(workload, server) for workload in measured for server in servers]


def servers(environment: dict[str, str], workdir: Path, off_code: Path | None, level: str) -> list[Server]:
    """off, the observed service, control (off again) and off without an access line."""
    on = service_server(
        OBSERVED, {**environment, **OBSERVED_SETTINGS, "LOG_LEVEL": level}, workdir / "on.log"
    )

    def off_server(name: str, at: str, log: Path) -> Server:
        off = {**environment, "LOG_LEVEL": at}
        if off_code is None:
            return service_server(name, off, log)
        return replace(service_server(name, {**off, "PYTHONPATH": str(off_code)}, log), cwd=off_code)

    return [
        off_server(OFF, level, workdir / "off.log"),
        on,
        off_server(CONTROL, level, workdir / "control.log"),
        off_server(NO_LINE, "WARNING", workdir / "no-line.log"),
    ]


def report(outcome: Outcome, backend: str, off_code: Path | None, level: str) -> str:
    off = "this checkout" if off_code is None else f"the checkout in {off_code}"
    lines = [
        f"## {backend}: the service with {OBSERVED_SETTINGS} ÷ off ({off}, metrics off, text logs), "
        f"both at LOG_LEVEL={level}\n",
        "| workload | server | req/s | ÷ off | CPU µs/req | ÷ off |",
        "|---|---|---:|---:|---:|---:|",
    ]

    def samples(workload: str, name: str) -> list[Sample]:
        return [s for s in outcome.samples if s.workload == workload and s.variant == name]

    for workload in MEASURED:
        theirs = samples(workload, OFF)
        for name in (OBSERVED, CONTROL, NO_LINE, OFF):
            mine = samples(workload, name)
            if not mine or not theirs:
                continue
            relative = name != OFF
            lines.append(
                f"| {workload} | {name} | {median(s.requests_per_s for s in mine):,.0f} "
                f"| {_three(ratio(mine, theirs, 'requests_per_s')) if relative else ''} "
                f"| {median(s.cpu_us_per_request for s in mine):,.0f} "
                f"| {_three(ratio(mine, theirs, 'cpu_us_per_request')) if relative else ''} |"
            )
    lines.append("\nAll of it (metrics, JSON logs, the access line) against no access line at all:\n")
    for workload in MEASURED:
        on, bare = samples(workload, OBSERVED), samples(workload, NO_LINE)
        if on and bare:
            lines.append(
                f'- {workload}: the observed service ÷ "{NO_LINE}": '
                f"req/s {_three(ratio(on, bare, 'requests_per_s'))}, "
                f"CPU {_three(ratio(on, bare, 'cpu_us_per_request'))}"
            )
    return "\n".join(lines) + "\n"


def _three(value: float | None) -> str:
    return "" if value is None else f"{value:.3f}"


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(
        prog="python -m bench.observability",
        description=__doc__,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    parser.add_argument("--backend", default="postgres", choices=list(BACKENDS))
    parser.add_argument("--url", help="the database (dropped and created again); default the bench's")
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--seed", type=int)
    parser.add_argument("--off-code", type=Path, help="a checkout whose service is 'off'")
    parser.add_argument(
        "--log-level", default=OBSERVED_LOG_LEVEL, help="the servers' LOG_LEVEL (default %(default)s)"
    )
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "observability.md")
    args = parser.parse_args(argv)
    backend = BACKENDS[args.backend]
    urls = {backend.key: args.url} if args.url else {}
    options = Options((backend.key,), args.seconds, args.warmup, args.runs, args.seed, urls=urls)
    outcome = Outcome()
    with (
        tempfile.TemporaryDirectory(prefix="multidb-observability-") as scratch,
        prepared(backend, options, Path(scratch)) as ready,
    ):
        chosen = servers(ready.environment, ready.workdir, args.off_code, args.log_level)
        with started_servers(backend.name, chosen, outcome.problems) as running:
            if len(running) == len(chosen):
                measure_in_turn(backend.name, contenders(*running), options, ready.ids_file, outcome)
    text = report(outcome, backend.name, args.off_code, args.log_level)
    if outcome.problems:
        text += "\nProblems:\n" + "\n".join(f"- {problem}" for problem in outcome.problems) + "\n"
    args.out.parent.mkdir(parents=True, exist_ok=True)
    with args.out.open("a") as written:
        written.write(text + "\n")
    print(text)
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
