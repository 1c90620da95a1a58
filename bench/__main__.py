"""python -m bench [--smoke] [options]: see bench/README.md."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import composites, composites_report, scaling, scaling_report
from bench.backends import BACKENDS
from bench.environment import describe
from bench.load import Load
from bench.output import write
from bench.run import Options, run
from bench.variants import ROOT

RESULTS = Path(__file__).parent / "results"
PLANS = ("products", "composites", "scaling")
REPORTS = {"composites": "composites.md", "scaling": "scaling.md"}


@dataclass(frozen=True)
class Choices:
    """What the command line chose besides the run's Options."""

    out: Path | None
    smoke: bool
    note: str
    plan: str
    counts: tuple[int, int, int]  # the composites' (users, products, events)


def parse(argv: list[str]) -> tuple[Options, Choices]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument(
        "--plan",
        choices=PLANS,
        default=PLANS[0],
        help="products: the service against hand-written baselines, per backend (make bench); "
        "composites: ?expand= and SHARDS (make bench-composites); "
        "scaling: WORKERS=1, WORKERS=2 and 2 instances behind HAProxy, on PostgreSQL (make bench-scaling). "
        "Default %(default)s",
    )
    parser.add_argument("--smoke", action="store_true", help="about a second per workload, one run: for CI")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated: %(default)s")
    parser.add_argument("--seconds", type=float, help="per run (default 5; smoke 1)")
    parser.add_argument("--warmup", type=float, help="seconds per variant and workload (default 2; smoke 0)")
    parser.add_argument("--runs", type=int, help="per variant and workload (default 3; smoke 1)")
    parser.add_argument(
        "--seed",
        type=int,
        help="products per backend (default 10000, 1000 on SecantusDB; smoke 200); "
        "composites: events (default 5000; smoke 200)",
    )
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--connections", type=int, help="wrk's -c (default 32; scaling 64)")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--note", default="", help="a line for results.md, e.g. what else ran on the machine")
    parser.add_argument(
        "--out", type=Path, help=f"default {RESULTS.relative_to(ROOT)}; smoke: a temporary one"
    )
    for backend in BACKENDS.values():
        parser.add_argument(
            f"--{backend.key}-url",
            help=f"default {backend.default_url}; composites: {composites.DEFAULT_URLS[backend.key]}",
        )
    args = parser.parse_args(argv)
    smoke = bool(args.smoke)

    def pick(value: float | None, full: float, quick: float) -> float:
        return value if value is not None else (quick if smoke else full)

    backends = tuple(name.strip() for name in args.backends.split(",") if name.strip())
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}; known: {', '.join(BACKENDS)}")
    given = {key: url for key in BACKENDS if (url := getattr(args, f"{key}_url"))}
    counts = composites.SMOKE_COUNTS if smoke else composites.DEFAULT_COUNTS
    if args.seed:
        counts = (*counts[:2], args.seed)
    options = Options(
        backends=backends,
        seconds=pick(args.seconds, 5, 1),
        warmup=pick(args.warmup, 2, 0),
        runs=int(pick(args.runs, 3, 1)),
        seed=args.seed or (200 if smoke else None),
        pool_size=args.pool_size,
        load=Load(
            connections=args.connections or (64 if args.plan == "scaling" else 32), threads=args.threads
        ),
        urls=given
        if args.plan == "composites"
        else {key: given.get(key, b.default_url) for key, b in BACKENDS.items()},
    )
    return options, Choices(args.out, smoke, args.note, args.plan, counts)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    options, chosen = parse(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (Debian: apt-get install wrk)")
    if (ROOT / ".env").exists():
        logging.warning(
            "%s exists: the service reads any setting the bench does not set from it", ROOT / ".env"
        )
    environment = describe(ROOT)
    with tempfile.TemporaryDirectory(prefix="multidb-bench-") as scratch:
        if chosen.plan == "composites":
            outcome = composites.run(options, Path(scratch), chosen.counts)
        elif chosen.plan == "scaling":
            outcome = scaling.run(options, Path(scratch))
        else:
            outcome = run(options, Path(scratch))
        destination = chosen.out or (Path(scratch) / "results" if chosen.smoke else RESULTS)
        environment["load average after the run"] = " ".join(f"{load:.2f}" for load in os.getloadavg())
        report = {"composites": composites_report.write, "scaling": scaling_report.write}.get(
            chosen.plan, write
        )
        report(outcome, options, environment, destination, chosen.note)
        print((destination / REPORTS.get(chosen.plan, "results.md")).read_text())
    for problem in outcome.problems:
        print(f"bench: {problem}", file=sys.stderr)
    if not outcome.samples:
        print("bench: nothing was measured", file=sys.stderr)
        return 1
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
