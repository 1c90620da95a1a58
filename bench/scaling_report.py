"""bench/results/scaling.md and scaling.json: 2 workers against 1, per workload."""

from __future__ import annotations

from pathlib import Path

from bench.composites_report import Comparison, Section, table, to
from bench.output import heading, machine_and_problems, raw_json
from bench.run import Options, Outcome
from bench.scaling import SCALING, variant

ONE, TWO = variant(1), variant(2)
SECTION = Section(
    SCALING,
    "The service on PostgreSQL, WORKERS=1 and WORKERS=2",
    (
        Comparison("req/s ÷ 1 worker", "requests_per_s", to(ONE, TWO)),
        Comparison("p99 ÷ 1 worker", "p99_ms", to(ONE, TWO)),
        Comparison("CPU/req ÷ 1 worker", "cpu_us_per_request", to(ONE, TWO)),
    ),
)


def write(outcome: Outcome, options: Options, environment: dict[str, str], out: Path, note: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = heading("multidb benchmark: the scaling curve", options, note)
    lines += [
        f"{outcome.seeded.get(SCALING, 0):,} products seeded. Each worker has its own pool of the "
        "size given; peak RSS and server CPU add up the supervisor and its workers.",
        "",
        f"## {SECTION.title}",
        "",
        table(SECTION, outcome.samples),
    ]
    lines += machine_and_problems(outcome, environment)
    (out / "scaling.md").write_text("\n".join(lines))
    (out / "scaling.json").write_text(raw_json(outcome, options, environment))
