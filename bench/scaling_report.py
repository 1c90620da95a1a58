"""bench/results/scaling.md and scaling.json: 2 workers, and 2 instances behind HAProxy,
against 1 worker, per workload; and HAProxy's own CPU."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from statistics import median

from bench.composites_report import Comparison, Key, Section, table
from bench.output import heading, machine_and_problems, raw_json
from bench.run import Options, Outcome, Sample
from bench.scaling import BALANCED, SCALING, variant

ONE = variant(1)


def _to_one(key: Key) -> Key | None:
    return (key[0], ONE) if key[1] != ONE else None


SECTION = Section(
    SCALING,
    f"The service on PostgreSQL: WORKERS=1, WORKERS=2, and {BALANCED} (WORKERS=1 each)",
    (
        Comparison("req/s ÷ 1 worker", "requests_per_s", _to_one),
        Comparison("p99 ÷ 1 worker", "p99_ms", _to_one),
        Comparison("CPU/req ÷ 1 worker", "cpu_us_per_request", _to_one),
    ),
)


def balancer_table(samples: Sequence[Sample]) -> str:
    """Per workload, the medians of HAProxy's CPU per request and of the instances', and
    the two together against 1 worker's: what the balancer adds on the same cores."""
    lines = [
        "| workload | HAProxy CPU µs/req | instances CPU µs/req | both ÷ 1 worker's CPU/req |",
        "|---|---:|---:|---:|",
    ]
    mine = [sample for sample in samples if sample.backend == SCALING]
    for workload in dict.fromkeys(sample.workload for sample in mine):
        behind = [s for s in mine if s.workload == workload and s.balancer_cpu_us_per_request is not None]
        alone = [s.cpu_us_per_request for s in mine if s.workload == workload and s.variant == ONE]
        if not behind or not alone:
            continue
        balancer = median(s.balancer_cpu_us_per_request or 0.0 for s in behind)
        instances = median(s.cpu_us_per_request for s in behind)
        both = (balancer + instances) / median(alone)
        lines.append(f"| {workload} | {balancer:,.0f} | {instances:,.0f} | {both:.2f} |")
    return "\n".join(lines) + "\n"


def write(outcome: Outcome, options: Options, environment: dict[str, str], out: Path, note: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    lines = heading("multidb benchmark: the scaling curve", options, note)
    lines += [
        f"{outcome.seeded.get(SCALING, 0):,} products seeded. Each worker and each instance has "
        "its own pool of the size given; peak RSS and server CPU add up the supervisor and its "
        f"workers, or the instances ({BALANCED}: HAProxy's CPU is apart, below). HAProxy runs "
        "docker/haproxy.cfg as the load-balancer tests do, its log line per request included.",
        "",
        f"## {SECTION.title}",
        "",
        table(SECTION, outcome.samples),
        "## HAProxy's own CPU",
        "",
        balancer_table(outcome.samples),
    ]
    lines += machine_and_problems(outcome, environment)
    (out / "scaling.md").write_text("\n".join(lines))
    (out / "scaling.json").write_text(raw_json(outcome, options, environment))
