"""results.png: requests/s and p99 of every variant, one column of charts per backend."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt

from bench.load import WORKLOADS
from bench.report import VARIANTS, Row

COLOURS = {
    "service": "#d95f02",
    "service, observed": "#a6761d",
    "baseline": "#1b9e77",
    "connect per request": "#7570b3",
    "SQLAlchemy ORM": "#e7298a",
    "FastCRUD": "#66a61e",
    "Litestar + advanced-alchemy": "#e6ab02",
}


def draw(found: Sequence[Row], path: Path) -> None:
    backends = list(dict.fromkeys(row.backend for row in found))
    figure, axes = plt.subplots(2, len(backends), figsize=(5 * len(backends), 7), squeeze=False)
    workloads = [workload.name for workload in WORKLOADS]
    width = 0.8 / len(VARIANTS)
    for column, backend in enumerate(backends):
        for line, (field, label) in enumerate(
            (("requests_per_s", "requests/s"), ("p99_ms", "p99 latency, ms"))
        ):
            axis = axes[line][column]
            for index, variant in enumerate(VARIANTS):
                values = {
                    r.workload: getattr(r, field)
                    for r in found
                    if (r.backend, r.variant) == (backend, variant)
                }
                if not values:
                    continue
                positions = [w + (index - (len(VARIANTS) - 1) / 2) * width for w in range(len(workloads))]
                heights = [values.get(workload, 0.0) for workload in workloads]
                axis.bar(positions, heights, width, label=variant, color=COLOURS[variant])
            axis.set_xticks(range(len(workloads)), workloads)
            axis.set_ylabel(label)
            axis.set_title(f"{backend}: {label}")
            axis.grid(axis="y", alpha=0.3)
        axes[0][column].legend(fontsize="small")
    figure.suptitle("multidb: the service against hand-written baselines (medians of runs)")
    figure.tight_layout()
    figure.savefig(path, dpi=110)
    plt.close(figure)
