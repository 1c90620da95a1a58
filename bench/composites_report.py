"""bench/results/composites.md and composites.json: a table per feature, each figure a median
of the runs, each ratio the median of the per-round ratios (bench/report.py's `ratio`)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from statistics import median

from bench.backends import BASELINE, SERVICE
from bench.composites import EXPAND, EXPANSION, LIST, ONE_DATABASE, SHARDED, SHARDING
from bench.output import heading, machine_and_problems, raw_json
from bench.report import ratio
from bench.run import Options, Outcome, Sample

Key = tuple[str, str]  # (workload, variant)


@dataclass(frozen=True)
class Comparison:
    header: str
    field: str  # of Sample
    reference: Callable[[Key], Key | None]  # the (workload, variant) a row is divided by, if any


@dataclass(frozen=True)
class Section:
    group: str
    title: str
    comparisons: tuple[Comparison, ...]


def to(variant: str, of: str) -> Callable[[Key], Key | None]:
    return lambda key: (key[0], variant) if key[1] == of else None


def _without_expand(key: Key) -> Key | None:
    return (LIST.name, key[1]) if key[0] == EXPAND.name else None


SECTIONS = (
    Section(
        EXPANSION,
        "Expansion: events on PostgreSQL, users on MongoDB, products on MySQL/MariaDB",
        (
            Comparison("req/s ÷ baseline", "requests_per_s", to(BASELINE, SERVICE)),
            Comparison("p99 ÷ baseline", "p99_ms", to(BASELINE, SERVICE)),
            Comparison("req/s ÷ same server without expand", "requests_per_s", _without_expand),
        ),
    ),
    Section(
        SHARDING,
        "Sharding: events over 2 PostgreSQL + 1 MySQL/MariaDB databases, against one PostgreSQL database",
        (
            Comparison("req/s ÷ one database", "requests_per_s", to(ONE_DATABASE, SHARDED)),
            Comparison("p99 ÷ one database", "p99_ms", to(ONE_DATABASE, SHARDED)),
            Comparison("CPU/req ÷ one database", "cpu_us_per_request", to(ONE_DATABASE, SHARDED)),
        ),
    ),
)


def _cell(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


def table(section: Section, samples: Sequence[Sample]) -> str:
    mine = [sample for sample in samples if sample.backend == section.group]
    runs: dict[Key, list[Sample]] = {}
    for sample in mine:
        runs.setdefault((sample.workload, sample.variant), []).append(sample)
    headers = [comparison.header for comparison in section.comparisons]
    lines = [
        "| workload | variant | requests/s | spread | p50 ms | p99 ms | peak RSS MiB | server CPU µs/req | "
        + " | ".join(headers)
        + " |",
        "|---|---|" + "---:|" * (6 + len(headers)),
    ]
    for key, group in runs.items():
        rates = [sample.requests_per_s for sample in group]
        ratios = []
        for comparison in section.comparisons:
            reference = comparison.reference(key)
            theirs = runs.get(reference, []) if reference else []
            ratios.append(_cell(ratio(group, theirs, comparison.field) if theirs else None))
        failed = sum(sample.failed for sample in group)
        lines.append(
            f"| {key[0]} | {key[1]} | {median(rates):,.0f} | {(max(rates) - min(rates)) / median(rates):.0%} "
            f"| {median(s.p50_ms for s in group):.2f} | {median(s.p99_ms for s in group):.2f} "
            f"| {median(s.peak_rss for s in group) / 2**20:.0f} "
            f"| {median(s.cpu_us_per_request for s in group):,.0f} | "
            + " | ".join(ratios)
            + " |"
            + (f" **{failed} failed**" if failed else "")
        )
    return "\n".join(lines) + "\n"


def write(outcome: Outcome, options: Options, environment: dict[str, str], out: Path, note: str = "") -> None:
    out.mkdir(parents=True, exist_ok=True)
    seeded = ", ".join(f"{count:,} {name}" for name, count in outcome.seeded.items())
    lines = heading("multidb benchmark: expansion and shards", options, note)
    lines += [f"Seeded through the service's controllers: {seeded or 'nothing'}.", ""]
    for section in SECTIONS:
        if any(sample.backend == section.group for sample in outcome.samples):
            lines += [f"## {section.title}", "", table(section, outcome.samples)]
    lines += machine_and_problems(outcome, environment)
    (out / "composites.md").write_text("\n".join(lines))
    (out / "composites.json").write_text(raw_json(outcome, options, environment))
