"""`python -m bench --plan observability`: what metrics, request ids and JSON logs cost, alone.

The service with them off ("service") and on ("service, observed", bench/variants.py), on
`GET /products/{id}` and `POST /products`, the two workloads the issue bounds (within 5%),
alternated round by round; no baselines, so that more rounds fit in the same minutes.
"""

from __future__ import annotations

from pathlib import Path

from bench.backends import BACKENDS, OBSERVED, SERVICE
from bench.load import WORKLOADS
from bench.run import Contender, Options, Outcome, measure_in_turn, prepared, started
from bench.variants import imported_app

MEASURED = ("GET one", "POST")


def run(options: Options, workdir: Path) -> Outcome:
    outcome = Outcome()
    for key in options.backends:
        backend = BACKENDS[key]
        with (
            prepared(backend, options, workdir / key) as ready,
            started(ready, outcome.problems, only=(SERVICE, OBSERVED)) as running,
        ):
            outcome.servers[backend.name] = ready.target.version
            outcome.seeded[backend.name] = len(ready.ids)
            outcome.imported_app = imported_app(ready.environment)
            for workload in (w for w in WORKLOADS if w.name in MEASURED):
                contenders = [Contender(workload, server) for server in running]
                measure_in_turn(backend.name, contenders, options, ready.ids_file, outcome)
    return outcome
