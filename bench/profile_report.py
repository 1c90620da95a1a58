"""profile.md: statements per request, and CPU per request by component and by suspect."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from bench import plans, roundtrips
from bench.backends import BASELINE, SERVICE
from bench.load import WORKLOADS, WrkResult
from bench.stacks import SUSPECTS, Profile


@dataclass(frozen=True)
class Measured:
    variant: str
    workload: str
    result: WrkResult
    cpu_seconds: float  # the process's, by psutil, over the wrk run
    profile: Profile
    stacks_file: str

    @property
    def cpu_us_per_request(self) -> float:
        return self.cpu_seconds / max(self.result.requests, 1) * 1e6

    def per_request(self, samples: int) -> float:
        """The process's CPU per request, in µs, times the share of the samples that is `samples`.
        Sampled wall time overstates CPU on a busy machine (a thread holding the GIL may wait for
        a core); the shares hold, so they are scaled to the CPU time the kernel counted."""
        return self.cpu_us_per_request * samples / max(self.profile.total, 1)


def _find(measured: Sequence[Measured], variant: str, workload: str) -> Measured | None:
    return next((m for m in measured if (m.variant, m.workload) == (variant, workload)), None)


def _overview(measured: Sequence[Measured]) -> list[str]:
    lines = [
        "| workload | variant | requests/s while sampled | CPU µs/request | samples | stacks |",
        "|---|---|---:|---:|---:|---|",
    ]
    for m in measured:
        lines.append(
            f"| {m.workload} | {m.variant} | {m.result.requests_per_s:,.0f} | {m.cpu_us_per_request:,.0f} "
            f"| {m.profile.total:,} | `{m.stacks_file}` |"
        )
    return lines


def _components(measured: Sequence[Measured]) -> list[str]:
    workloads = [w.name for w in WORKLOADS]
    names: dict[str, float] = {}
    for m in measured:
        if m.variant == SERVICE:
            for name, count in m.profile.components().items():
                names[name] = names.get(name, 0.0) + m.per_request(count)
    header = " | ".join(f"{w}: service | {w}: baseline" for w in workloads)
    lines = [f"| component | {header} |", "|---|" + "---:|" * (2 * len(workloads))]
    for name in sorted(names, key=lambda n: -names[n]):
        cells = []
        for workload in workloads:
            for variant in (SERVICE, BASELINE):
                found = _find(measured, variant, workload)
                count = found.profile.components().get(name, 0) if found else 0
                cells.append(f"{found.per_request(count):,.0f}" if found and count else "")
        lines.append(f"| {name} | {' | '.join(cells)} |")
    return lines


def _suspects(measured: Sequence[Measured]) -> list[str]:
    workloads = [w.name for w in WORKLOADS]
    lines = [f"| suspect (µs of CPU per request; share of the service's samples) | {' | '.join(workloads)} |"]
    lines.append("|---|" + "---:|" * len(workloads))
    for label, predicate in SUSPECTS:
        cells = []
        for workload in workloads:
            m = _find(measured, SERVICE, workload)
            if m is None:
                cells.append("")
                continue
            count = m.profile.count(predicate)
            share = count / max(m.profile.total, 1)
            cells.append(f"{m.per_request(count):,.0f} ({share:.0%})")
        lines.append(f"| {label} | {' | '.join(cells)} |")
    return lines


def write(
    path: Path,
    backend: str,
    measured: Sequence[Measured],
    counts: Sequence[roundtrips.Count],
    query_plans: Sequence[plans.Plan],
    rate: int,
    problems: Sequence[str],
) -> None:
    lines = [f"# Where the time goes: the service and the baseline on {backend}", ""]
    lines += [
        f"Written by `python -m bench.profile`: py-spy at {rate} Hz, counting only samples that hold",
        "the GIL. Every µs figure is the server's CPU time per request (user + system, from the",
        "kernel) times the share of the samples that falls there. See bench/README.md.",
        "",
    ]
    if counts:
        lines += ["## Statements sent to PostgreSQL per request", "", roundtrips.table(counts)]
        lines += [
            "PostgreSQL does not log an empty statement: SQLAlchemy's pre-ping on asyncpg sends",
            "`BEGIN`, `;` and `ROLLBACK`, so each service request has one more round trip than counted here.",
            "",
        ]
    if query_plans:
        lines += ["## GET list's queries on the seeded table, as PostgreSQL plans them", ""]
        lines += [plans.table(list(query_plans))]
    lines += ["## Throughput and CPU while sampled", "", *_overview(measured), ""]
    lines += [
        "## CPU per request by component (µs; each sample counted once, by its innermost known frame)",
        "",
    ]
    lines += [*_components(measured), ""]
    lines += ["## The suspects in the service (each sample counts for every suspect it shows)", ""]
    lines += [*_suspects(measured), ""]
    if problems:
        lines += ["## Problems", "", *(f"- {problem}" for problem in problems), ""]
    path.write_text("\n".join(lines))
