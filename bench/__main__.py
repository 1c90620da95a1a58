"""python -m bench [--smoke] [options]: see bench/README.md."""

from __future__ import annotations

import argparse
import logging
import os
import shutil
import sys
import tempfile
from pathlib import Path

from bench.backends import BACKENDS
from bench.environment import describe
from bench.load import Load
from bench.output import write
from bench.run import Options, run
from bench.variants import ROOT

RESULTS = Path(__file__).parent / "results"


def parse(argv: list[str]) -> tuple[Options, Path | None, bool, str]:
    parser = argparse.ArgumentParser(prog="python -m bench", description=__doc__)
    parser.add_argument("--smoke", action="store_true", help="about a second per workload, one run: for CI")
    parser.add_argument("--backends", default=",".join(BACKENDS), help="comma-separated: %(default)s")
    parser.add_argument("--seconds", type=float, help="per run (default 5; smoke 1)")
    parser.add_argument("--warmup", type=float, help="seconds per variant and workload (default 2; smoke 0)")
    parser.add_argument("--runs", type=int, help="per variant and workload (default 3; smoke 1)")
    parser.add_argument(
        "--seed", type=int, help="products per backend (default 10000, 1000 on SecantusDB; smoke 200)"
    )
    parser.add_argument("--pool-size", type=int, default=10)
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--note", default="", help="a line for results.md, e.g. what else ran on the machine")
    parser.add_argument(
        "--out", type=Path, help=f"default {RESULTS.relative_to(ROOT)}; smoke: a temporary one"
    )
    for backend in BACKENDS.values():
        parser.add_argument(f"--{backend.key}-url", default=backend.default_url)
    args = parser.parse_args(argv)
    smoke = bool(args.smoke)

    def pick(value: float | None, full: float, quick: float) -> float:
        return value if value is not None else (quick if smoke else full)

    backends = tuple(name.strip() for name in args.backends.split(",") if name.strip())
    unknown = set(backends) - set(BACKENDS)
    if unknown:
        parser.error(f"unknown backend(s) {', '.join(sorted(unknown))}; known: {', '.join(BACKENDS)}")
    options = Options(
        backends=backends,
        seconds=pick(args.seconds, 5, 1),
        warmup=pick(args.warmup, 2, 0),
        runs=int(pick(args.runs, 3, 1)),
        seed=args.seed or (200 if smoke else None),
        pool_size=args.pool_size,
        load=Load(connections=args.connections, threads=args.threads),
        urls={key: getattr(args, f"{key}_url") for key in BACKENDS},
    )
    return options, args.out, smoke, args.note


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    options, out, smoke, note = parse(argv)
    if shutil.which("wrk") is None:
        sys.exit("bench: wrk is not installed (Debian: apt-get install wrk)")
    if (ROOT / ".env").exists():
        logging.warning(
            "%s exists: the service reads any setting the bench does not set from it", ROOT / ".env"
        )
    environment = describe(ROOT)
    with tempfile.TemporaryDirectory(prefix="multidb-bench-") as scratch:
        outcome = run(options, Path(scratch))
        destination = out or (Path(scratch) / "results" if smoke else RESULTS)
        environment["load average after the run"] = " ".join(f"{load:.2f}" for load in os.getloadavg())
        write(outcome, options, environment, destination, note)
        print((destination / "results.md").read_text())
    for problem in outcome.problems:
        print(f"bench: {problem}", file=sys.stderr)
    if not outcome.samples:
        print("bench: nothing was measured", file=sys.stderr)
        return 1
    return 1 if outcome.problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
