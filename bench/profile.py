"""python -m bench.profile: where the time goes per request, in the service and in the baseline.

On PostgreSQL (or --backend): first the statements each request sends, from the server's log;
then, for each workload, each server alone under wrk's load while py-spy samples it. Writes
profile.md and the collapsed stacks (profile-<variant>-<workload>.txt, for speedscope or
flamegraph.pl) to --out.
"""

from __future__ import annotations

import argparse
import gzip
import logging
import shutil
import signal
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

from bench import plans, roundtrips
from bench.backends import BACKENDS, BASELINE, SERVICE
from bench.load import WORKLOADS, Load, Workload, WrkResult, run_wrk
from bench.profile_report import Measured, write
from bench.run import Options, Prepared, prepared, started, wrk_args
from bench.servers import Server
from bench.stacks import parse

logger = logging.getLogger("bench")


@dataclass(frozen=True)
class Settings:
    seconds: float
    warmup: float
    rate: int
    out: Path


def py_spy() -> str:
    found = shutil.which("py-spy") or str(Path(sys.executable).parent / "py-spy")
    if not Path(found).exists():
        sys.exit("bench.profile: py-spy is not installed (pip install py-spy, or the bench extra)")
    return found


def record(server: Server, workload: Workload, ready: Prepared, settings: Settings, load: Load) -> Measured:
    name = f"profile-{server.name.replace(' ', '-')}-{workload.name.replace(' ', '-').lower()}.txt"
    output = settings.out / name
    # --gil: a sample counts only while the thread holds the GIL, i.e. runs Python code, so
    # waiting threads and the loop's epoll wait are left out; --nonblocking: the server is not
    # paused for each sample, which would slow it several times.
    command = [py_spy(), "record", "--pid", str(server.pid), "--format", "raw", "--nolineno", "--gil"]
    command += ["--nonblocking", "--rate", str(settings.rate)]
    spy = subprocess.Popen(
        [*command, "--output", str(output)], stdout=subprocess.DEVNULL, stderr=subprocess.PIPE
    )
    try:
        run_wrk(server.url, workload, load, 1.0, _args(workload, ready))  # while py-spy attaches; not counted
        before = server.cpu_seconds()
        result: WrkResult = run_wrk(server.url, workload, load, settings.seconds, _args(workload, ready))
        cpu = server.cpu_seconds() - before
    finally:
        spy.send_signal(signal.SIGINT)
        _, errors = spy.communicate(timeout=60)
    if not output.exists():
        raise RuntimeError(f"py-spy wrote nothing: {errors.decode(errors='replace')}")
    stacks = output.read_text()
    output.unlink()
    with gzip.open(output.with_suffix(".txt.gz"), "wt") as compressed:
        compressed.write(stacks)
    return Measured(server.name, workload.name, result, cpu, parse(stacks.splitlines()), f"{name}.gz")


def _args(workload: Workload, ready: Prepared) -> list[str]:
    return wrk_args(workload, ready.ids_file)


def main(argv: list[str]) -> int:
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(message)s", datefmt="%H:%M:%S")
    parser = argparse.ArgumentParser(prog="python -m bench.profile", description=__doc__)
    parser.add_argument("--backend", default="postgres", choices=list(BACKENDS))
    parser.add_argument("--url", help="the database; default the bench's")
    parser.add_argument("--seconds", type=float, default=10.0, help="sampled per server and workload")
    parser.add_argument("--warmup", type=float, default=2.0)
    parser.add_argument("--rate", type=int, default=200, help="samples per second")
    parser.add_argument("--seed", type=int, help="default: the backend's, as for python -m bench")
    parser.add_argument("--out", type=Path, default=Path(__file__).parent / "results" / "profile")
    args = parser.parse_args(argv)
    backend = BACKENDS[args.backend]
    url = args.url or backend.default_url
    options = Options(backends=(backend.key,), seed=args.seed, urls={backend.key: url})
    settings = Settings(args.seconds, args.warmup, args.rate, args.out)
    settings.out.mkdir(parents=True, exist_ok=True)
    problems: list[str] = []
    measured: list[Measured] = []
    with (
        tempfile.TemporaryDirectory(prefix="multidb-profile-") as scratch,
        prepared(backend, options, Path(scratch)) as ready,
    ):
        on_postgres = backend.key == "postgres"
        query_plans = plans.explain(url) if on_postgres else []  # on the seeded table, before any POST
        counts = _round_trips(ready, url, problems) if on_postgres else []
        with started(ready, problems, only=(SERVICE, BASELINE)) as running:
            for workload in WORKLOADS:
                for server in running:
                    logger.info("%s: profiling %s", workload.name, server.name)
                    run_wrk(server.url, workload, options.load, settings.warmup, _args(workload, ready))
                    measured.append(record(server, workload, ready, settings, options.load))
    write(settings.out / "profile.md", backend.name, measured, counts, query_plans, settings.rate, problems)
    print((settings.out / "profile.md").read_text())
    return 1 if problems else 0


def _round_trips(ready: Prepared, url: str, problems: list[str]) -> list[roundtrips.Count]:
    log = roundtrips.server_log()
    if log is None:
        problems.append(f"no PostgreSQL log under {roundtrips.LOGS}: statements per request not counted")
        return []
    roundtrips.set_statement_logging(url, on=True)
    try:
        with started(ready, problems, only=(SERVICE, BASELINE)) as running:
            return roundtrips.count(url, running, ready.ids, log)
    finally:
        roundtrips.set_statement_logging(url, on=False)


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
