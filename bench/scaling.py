"""The scaling curve: the service on PostgreSQL under 1 and then 2 worker processes
(WORKERS), and as 2 instances of 1 worker behind HAProxy (bench/balanced.py), on GET one
and POST, each run's ratio to 1 worker taken round by round."""

from __future__ import annotations

import logging
import time
from pathlib import Path

import psutil

from bench.backends import BACKENDS
from bench.balanced import balanced
from bench.load import WORKLOADS
from bench.run import Contender, Options, Outcome, measure_in_turn, prepared, started_servers
from bench.servers import Server
from bench.variants import imported_app, service_server

logger = logging.getLogger("bench")
SCALING = "scaling: PostgreSQL"
COUNTS = (1, 2)
INSTANCES = 2
BALANCED = f"{INSTANCES} instances, HAProxy"
MEASURED = ("GET one", "POST")
IDLE = 0.5  # seconds without CPU: a worker's imports and startup are over
GIVE_UP = 60.0


def variant(workers: int) -> str:
    return f"{workers} worker" + "s" * (workers > 1)


def wait_for_workers(server: Server, workers: int) -> None:
    """Until the supervisor has `workers` children, each idle: the first worker answers
    /health (Server.start) while the others may still be importing."""
    if workers == 1:
        return
    deadline = time.monotonic() + GIVE_UP
    while time.monotonic() < deadline:
        children = psutil.Process(server.pid).children()
        if len(children) >= workers:
            before = [sum(child.cpu_times()[:2]) for child in children]
            time.sleep(IDLE)
            if before == [sum(child.cpu_times()[:2]) for child in children]:
                return
        else:
            time.sleep(IDLE)
    logger.warning("%s: the workers did not settle within %gs", server.name, GIVE_UP)


def run(options: Options, workdir: Path) -> Outcome:
    outcome = Outcome()
    backend = BACKENDS["postgres"]
    with prepared(backend, options, workdir / backend.key) as ready:
        outcome.servers[SCALING] = ready.target.version
        outcome.seeded[SCALING] = len(ready.ids)
        outcome.imported_app = imported_app(ready.environment)
        chosen = [
            service_server(
                variant(count), {**ready.environment, "WORKERS": str(count)}, workdir / f"workers-{count}.log"
            )
            for count in COUNTS
        ]
        instances = [
            service_server(f"app{i}", {**ready.environment, "WORKERS": "1"}, workdir / f"app{i}.log")
            for i in range(1, INSTANCES + 1)
        ]
        chosen.append(balanced(BALANCED, instances, workdir))
        with started_servers(SCALING, chosen, outcome.problems) as running:
            workers = {variant(count): count for count in COUNTS}
            for server in running:
                wait_for_workers(server, workers.get(server.name, 1))
            for workload in (w for w in WORKLOADS if w.name in MEASURED):
                contenders = [Contender(workload, server) for server in running]
                measure_in_turn(
                    SCALING,
                    contenders,
                    options,
                    ready.ids_file,
                    outcome,
                    connections=ready.target.connections,
                )
    return outcome
