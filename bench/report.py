"""From samples to figures: the median of each variant's runs, and its ratios to the baseline
taken round by round (the runs of one round are adjacent in time, so drift cancels)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

from bench.backends import BASELINE, OBSERVED, PEERS, PER_REQUEST, SERVICE
from bench.load import WORKLOADS
from bench.run import Sample

VARIANTS = (SERVICE, OBSERVED, BASELINE, PER_REQUEST, *PEERS)


@dataclass(frozen=True)
class Row:
    backend: str
    workload: str
    variant: str
    runs: int
    requests_per_s: float
    spread: float  # (max - min) / median of requests/s over the runs
    p50_ms: float
    p99_ms: float
    peak_rss_mib: float
    cpu_us_per_request: float
    rps_to_baseline: float | None
    p99_to_baseline: float | None
    rps_to_per_request: float | None
    service_to_this: float | None  # the service's requests/s over this variant's
    failed: int
    connections_opened: float | None = None


def ratio(mine: Sequence[Sample], theirs: Sequence[Sample], field: str) -> float | None:
    """The median over rounds of mine/theirs, pairing the runs of the same round."""
    by_round = {sample.round: getattr(sample, field) for sample in theirs}
    ratios = [getattr(s, field) / by_round[s.round] for s in mine if by_round.get(s.round)]
    return median(ratios) if ratios else None


def rows(samples: Sequence[Sample]) -> list[Row]:
    found = []
    backends = list(dict.fromkeys(sample.backend for sample in samples))
    for backend in backends:
        for workload in (w.name for w in WORKLOADS):
            group = {
                variant: [
                    s for s in samples if (s.backend, s.workload, s.variant) == (backend, workload, variant)
                ]
                for variant in VARIANTS
            }
            for variant, mine in group.items():
                if not mine:
                    continue
                rates = [sample.requests_per_s for sample in mine]
                baseline = group[BASELINE] if variant != BASELINE else []
                per_request = group[PER_REQUEST] if variant == SERVICE else []
                found.append(
                    Row(
                        backend=backend,
                        workload=workload,
                        variant=variant,
                        runs=len(mine),
                        requests_per_s=median(rates),
                        spread=(max(rates) - min(rates)) / median(rates) if median(rates) else 0.0,
                        p50_ms=median(sample.p50_ms for sample in mine),
                        p99_ms=median(sample.p99_ms for sample in mine),
                        peak_rss_mib=median(sample.peak_rss for sample in mine) / 2**20,
                        cpu_us_per_request=median(sample.cpu_us_per_request for sample in mine),
                        rps_to_baseline=ratio(mine, baseline, "requests_per_s"),
                        p99_to_baseline=ratio(mine, baseline, "p99_ms"),
                        rps_to_per_request=ratio(mine, per_request, "requests_per_s"),
                        service_to_this=(
                            ratio(group[SERVICE], mine, "requests_per_s") if variant != SERVICE else None
                        ),
                        failed=sum(sample.failed for sample in mine),
                        connections_opened=_median_known([sample.connections_opened for sample in mine]),
                    )
                )
    return found


def _median_known(values: Sequence[int | None]) -> float | None:
    known = [value for value in values if value is not None]
    return median(known) if known else None


def _times(value: float | None) -> str:
    return "" if value is None else f"{value:.2f}"


HEADER = (
    "| workload | variant | requests/s | spread | p50 ms | p99 ms | peak RSS MiB | server CPU µs/req "
    "| req/s ÷ baseline | p99 ÷ baseline | req/s ÷ connect per request | service req/s ÷ this "
    "| connections opened per run |\n"
    "|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n"
)


def table(found: Sequence[Row], backend: str) -> str:
    lines = [
        f"| {row.workload} | {row.variant} | {row.requests_per_s:,.0f} | {row.spread:.0%} | {row.p50_ms:.2f} "
        f"| {row.p99_ms:.2f} | {row.peak_rss_mib:.0f} | {row.cpu_us_per_request:,.0f} "
        f"| {_times(row.rps_to_baseline)} | {_times(row.p99_to_baseline)} "
        f"| {_times(row.rps_to_per_request)} | {_times(row.service_to_this)} "
        f"| {'' if row.connections_opened is None else f'{row.connections_opened:,.0f}'} |"
        + (f" **{row.failed} failed**" if row.failed else "")
        for row in found
        if row.backend == backend
    ]
    return HEADER + "\n".join(lines) + "\n"
