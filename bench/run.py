"""One run of the bench: for each backend, a fresh database, the schema, the seed, the servers,
a parity check, then every workload on every server, warmed up and alternated."""

from __future__ import annotations

import itertools
import logging
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from bench.backends import BACKENDS, SERVICE, Backend, Target
from bench.connections import Counter
from bench.load import WORKLOADS, Load, Workload, WrkError, WrkResult, run_wrk
from bench.parity import check_parity
from bench.schema import create_schema
from bench.seed import seed
from bench.servers import Server, StartFailed
from bench.variants import ROOT, imported_app, servers, service_environment

logger = logging.getLogger("bench")
SETTLE_PATH = "/products?limit=1"  # answers only once the database has caught up


@dataclass(frozen=True)
class Options:
    backends: tuple[str, ...] = tuple(BACKENDS)
    seconds: float = 5.0
    warmup: float = 2.0
    runs: int = 3
    seed: int | None = None  # products per backend; None: each backend's default
    pool_size: int = 10
    load: Load = field(default_factory=Load)
    urls: dict[str, str] = field(default_factory=dict)


@dataclass(frozen=True)
class Sample:
    backend: str
    workload: str
    variant: str
    round: int
    requests: int
    requests_per_s: float
    p50_ms: float
    p99_ms: float
    failed: int
    peak_rss: int
    peak_since_start: bool  # the kernel's peak could not be reset before the run
    cpu_us_per_request: float
    connections_opened: int | None = None  # on the database during the run (bench/connections.py)
    balancer_cpu_us_per_request: float | None = None  # HAProxy's, in front of the server (bench/balanced.py)


@dataclass
class Outcome:
    samples: list[Sample] = field(default_factory=list)
    problems: list[str] = field(default_factory=list)
    servers: dict[str, str] = field(default_factory=dict)  # backend name -> database server version
    seeded: dict[str, int] = field(default_factory=dict)  # backend name -> products seeded
    imported_app: str = ""


_runs = itertools.count(1)


def wrk_args(workload: Workload, ids_file: Path) -> list[str]:
    number = str(int(time.time()) % 100_000 * 1000 + next(_runs))
    if workload.uses_ids:
        return [str(ids_file), number]
    return [number] if workload.script else []


def measure(
    server: Server,
    workload: Workload,
    options: Options,
    ids_file: Path,
    round: int,
    backend: str,
    connections: Counter | None = None,
) -> Sample:
    peak_reset = server.reset_peak_rss()
    opened_before = connections() if connections else None
    cpu_before, balancer_before = server.cpu_seconds(), server.balancer_cpu_seconds()
    result: WrkResult = run_wrk(
        server.url, workload, options.load, options.seconds, wrk_args(workload, ids_file)
    )
    cpu = server.cpu_seconds() - cpu_before
    balancer_after = server.balancer_cpu_seconds()
    opened_after = connections() if connections else None
    return Sample(
        backend=backend,
        workload=workload.name,
        variant=server.name,
        round=round,
        requests=result.requests,
        requests_per_s=result.requests_per_s,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        failed=result.failed,
        peak_rss=server.peak_rss(),
        peak_since_start=not peak_reset,
        cpu_us_per_request=cpu * 1e6 / result.requests if result.requests else float("nan"),
        connections_opened=(
            None if opened_before is None or opened_after is None else opened_after - opened_before
        ),
        balancer_cpu_us_per_request=(
            None
            if balancer_before is None or balancer_after is None or not result.requests
            else (balancer_after - balancer_before) * 1e6 / result.requests
        ),
    )


@dataclass(frozen=True)
class Prepared:
    """A backend ready to serve: its fresh database, seeded, and the service's environment."""

    backend: Backend
    target: Target
    environment: dict[str, str]
    ids_file: Path
    ids: list[str]
    workdir: Path


@contextmanager
def prepared(backend: Backend, options: Options, workdir: Path) -> Iterator[Prepared]:
    workdir.mkdir(parents=True, exist_ok=True)
    url = options.urls.get(backend.key, backend.default_url)
    with backend.open(url, workdir, options.pool_size) as target:
        environment = service_environment(target, workdir, options.pool_size)
        count = options.seed or backend.default_seed
        logger.info("%s: creating the schema, seeding %d products", backend.name, count)
        create_schema(environment, ROOT)
        ids_file = workdir / f"{backend.key}-ids.txt"
        ids = seed(environment, ROOT, count, ids_file)
        yield Prepared(backend, target, environment, ids_file, ids, workdir)


@contextmanager
def started(ready: Prepared, problems: list[str], only: Sequence[str] = ()) -> Iterator[list[Server]]:
    """The backend's servers (those named in `only`, or all), started; a server that does not
    start is a problem, and the others carry on."""
    chosen = servers(ready.target, ready.environment, ready.workdir, ready.backend.key)
    with started_servers(
        ready.backend.name, [s for s in chosen if not only or s.name in only], problems
    ) as up:
        yield up


@contextmanager
def started_servers(group: str, chosen: Sequence[Server], problems: list[str]) -> Iterator[list[Server]]:
    """`chosen`, started one after the other, and stopped at the end; a server that does not
    start is a problem, and the others carry on."""
    running: list[Server] = []
    try:
        for server in chosen:
            try:
                server.start()
                running.append(server)
            except StartFailed as error:
                problems.append(f"{group}: {error}")
        yield running
    finally:
        for server in running:
            server.stop()


def run_backend(backend: Backend, options: Options, workdir: Path, outcome: Outcome) -> None:
    with prepared(backend, options, workdir) as ready, started(ready, outcome.problems) as running:
        outcome.servers[backend.name] = ready.target.version
        outcome.seeded[backend.name] = len(ready.ids)
        outcome.imported_app = imported_app(ready.environment)
        if not outcome.imported_app.startswith(str(ROOT)):
            outcome.problems.append(f"the service imports app from {outcome.imported_app}, not from {ROOT}")
        if running and running[0].name == SERVICE:
            loose = {baseline.variant for baseline in ready.target.baselines if not baseline.exact}
            parity = check_parity(running[0], running[1:], ready.ids, loose)
            outcome.problems += [f"{backend.name}: {problem}" for problem in parity]
        for workload in WORKLOADS:
            contenders = [Contender(workload, server) for server in running]
            measure_in_turn(
                backend.name,
                contenders,
                options,
                ready.ids_file,
                outcome,
                connections=ready.target.connections,
            )


@dataclass(frozen=True)
class Contender:
    """One workload on one server: what one run of a round measures."""

    workload: Workload
    server: Server


def measure_in_turn(
    group: str,
    contenders: Sequence[Contender],
    options: Options,
    ids_file: Path,
    outcome: Outcome,
    settle_path: str = SETTLE_PATH,
    connections: Counter | None = None,
) -> None:
    """A warm-up of each contender, then `options.runs` rounds of one run each, in turn
    (A B C, A B C, ...), so that the runs of one round are adjacent in time."""
    if options.warmup > 0:
        for contender in contenders:
            workload, server = contender.workload, contender.server
            logger.info("%s %s: warming up %s", group, workload.name, server.name)
            warm = run_wrk(server.url, workload, options.load, options.warmup, wrk_args(workload, ids_file))
            if warm.failed:
                server.settle(settle_path)
    for round in range(1, options.runs + 1):
        for contender in contenders:
            workload, server = contender.workload, contender.server
            where = f"{group} {workload.name} {server.name} run {round}"
            if not server.alive():
                outcome.problems.append(f"{where}: the server is gone:\n{server.log_tail()}")
                continue
            try:
                sample = measure(server, workload, options, ids_file, round, group, connections)
            except WrkError as error:
                outcome.problems.append(f"{where}: {error}")
                continue
            outcome.samples.append(sample)
            logger.info(
                "%s: %.0f req/s, p50 %.2f ms, p99 %.2f ms%s",
                where,
                sample.requests_per_s,
                sample.p50_ms,
                sample.p99_ms,
                f", {sample.failed} FAILED" if sample.failed else "",
            )
            if sample.failed:
                outcome.problems.append(f"{where}: {sample.failed} of {sample.requests} requests failed")
                server.settle(settle_path)


def run(options: Options, workdir: Path) -> Outcome:
    outcome = Outcome()
    for key in options.backends:
        backend = BACKENDS[key]
        try:
            run_backend(backend, options, workdir / key, outcome)
        except Exception as error:  # one backend's failure is reported, and the others still run
            logger.exception("%s failed", backend.name)
            outcome.problems.append(f"{backend.name}: {type(error).__name__}: {error}")
    return outcome
