"""bench/results/: results.md (a table per backend), results.json (every run) and results.png."""

from __future__ import annotations

import json
from dataclasses import asdict
from pathlib import Path

from bench.chart import draw
from bench.report import rows, table
from bench.run import Options, Outcome

NOTE = """Each figure is the median of {runs} runs of {seconds:g} s, after a {warmup:g} s warm-up
per variant and workload; the runs alternate between the variants (A B C A B C ...).
`wrk -t{threads} -c{connections}`; one uvicorn worker per server; pools of {pool} connections on
every side. Ratios are medians of the per-round ratios. "spread" is (max - min) / median of
the runs' requests/s. Peak RSS is the server process's VmHWM, reset before each run. Server
CPU is the server process's user + system time per request (the database's is not in it).
"""


def write(outcome: Outcome, options: Options, environment: dict[str, str], out: Path, note: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    found = rows(outcome.samples)
    lines = heading("multidb benchmark results", options, note)
    for backend in dict.fromkeys(row.backend for row in found):
        seeded = outcome.seeded.get(backend, 0)
        title = f"## {backend} ({outcome.servers.get(backend, '?')}; {seeded:,} products seeded)"
        lines += [title, "", table(found, backend)]
    lines += machine_and_problems(outcome, environment)
    (out / "results.md").write_text("\n".join(lines))
    (out / "results.json").write_text(raw_json(outcome, options, environment))
    if found:
        draw(found, out / "results.png")


def heading(title: str, options: Options, note: str = "") -> list[str]:
    """The first lines of a results file: its title, the run's note, how it was measured."""
    lines = [f"# {title}", ""]
    if note:
        lines += [note, ""]
    return [
        *lines,
        NOTE.format(
            runs=options.runs,
            seconds=options.seconds,
            warmup=options.warmup,
            threads=options.load.threads,
            connections=options.load.connections,
            pool=options.pool_size,
        ),
    ]


def machine_and_problems(outcome: Outcome, environment: dict[str, str]) -> list[str]:
    """The lines of results.md after the tables: the machine, the versions, the problems."""
    lines = ["## Machine and versions", "", "| | |", "|---|---|"]
    lines += [f"| {name} | {value} |" for name, value in {**environment, **outcome.servers}.items()]
    lines += [f"| service imports `app` from | `{outcome.imported_app}` |", ""]
    if outcome.problems:
        lines += ["## Problems", "", *(f"- {problem}" for problem in outcome.problems), ""]
    return lines


def raw_json(outcome: Outcome, options: Options, environment: dict[str, str]) -> str:
    """Every run, with the options and the machine: results.json."""
    raw = {
        "options": {**asdict(options), "load": asdict(options.load)},
        "environment": {**environment, **outcome.servers, "imported_app": outcome.imported_app},
        "problems": outcome.problems,
        "samples": [asdict(sample) for sample in outcome.samples],
    }
    return json.dumps(raw, indent=1) + "\n"
