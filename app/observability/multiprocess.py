"""Metrics of several worker processes, added up: prometheus-client's multiprocess mode.

A launcher that starts more than one worker calls `share_between_workers()` once, before
it starts them: every worker then writes its values into one directory (named by
PROMETHEUS_MULTIPROC_DIR, which the workers inherit), and /metrics, served by any worker,
reads them all. When a worker exits, the launcher calls `worker_exited(pid)`, so that its
gauges (connections out, requests in flight) stop counting. With one process none of this
is needed: the values stay in memory.
"""

from __future__ import annotations

import os
import shutil
import tempfile
from pathlib import Path

from prometheus_client import multiprocess

VARIABLE = "PROMETHEUS_MULTIPROC_DIR"


def shared_directory() -> Path | None:
    """The directory the workers share; None in a single process."""
    value = os.environ.get(VARIABLE)
    return Path(value) if value else None


def share_between_workers(directory: Path | None = None) -> Path:
    """Make the processes started from now on write their metrics into `directory` (an
    empty one made here by default; one given is emptied: the files of processes of an
    earlier run would count as the service's)."""
    if directory is None:
        directory = Path(tempfile.mkdtemp(prefix="multidb-metrics-"))
    else:
        shutil.rmtree(directory, ignore_errors=True)
        directory.mkdir(parents=True)
    os.environ[VARIABLE] = str(directory)
    return directory


def worker_exited(pid: int) -> None:
    """A worker has gone: its live gauges no longer count (its counters and histograms do)."""
    directory = shared_directory()
    if directory is not None:
        multiprocess.mark_process_dead(pid, str(directory))  # type: ignore[no-untyped-call]
