"""The per-request values (the HTTP and database operation histograms, the requests in
flight) kept in plain numbers, then flushed into prometheus-client's own.

prometheus-client takes a lock for every observation and, with several workers, writes
each one to a shared file: about 28k instructions per request here. A worker serves its
requests on one thread, its event loop, which is also the only one that records or
flushes: plain numbers need no lock. The values are flushed before every scrape
(Metrics.render); with several workers, whose scrapes read the files, also after the
requests that end in one turn of the event loop (flush_soon), and every second and when
the worker stops for what is recorded outside a request (Metrics.flushed).
prometheus-client still holds the series and writes the exposition: its names, labels,
buckets and HELP are what they were.
"""

from __future__ import annotations

import asyncio
from bisect import bisect_left
from typing import Any


class LocalHistogram:
    """One series of a prometheus-client Histogram (`target`, a labelled child)."""

    __slots__ = ("_bounds", "_counts", "_sum", "_target")

    def __init__(self, target: Any) -> None:
        self._target = target
        self._bounds: tuple[float, ...] = tuple(target._upper_bounds)  # +Inf last
        self._counts = [0] * len(self._bounds)
        self._sum = 0.0

    def observe(self, amount: float) -> None:
        # The first bucket whose bound is >= amount: the one prometheus-client counts it in.
        self._counts[bisect_left(self._bounds, amount)] += 1
        self._sum += amount

    def flush(self) -> None:
        counts = self._counts
        if not any(counts):
            return
        self._counts, total, self._sum = [0] * len(counts), self._sum, 0.0
        # prometheus-client's Histogram keeps a value per bucket (not cumulative) and one
        # for the sum; observe() adds to one bucket and to the sum, under their locks.
        for bucket, count in zip(self._target._buckets, counts, strict=True):
            if count:
                bucket.inc(count)
        self._target._sum.inc(total)


class LocalGauge:
    """One series of a prometheus-client Gauge that goes up and down (requests in flight)."""

    __slots__ = ("_target", "_written", "value")

    def __init__(self, target: Any) -> None:
        self._target = target
        self.value = 0
        self._written = 0

    def flush(self) -> None:
        if self.value != self._written:
            self._target.set(self.value)
            self._written = self.value


class LocalValues:
    """Every local series of one Metrics, flushed together."""

    def __init__(self) -> None:
        self._series: list[LocalHistogram | LocalGauge] = []
        self._flush_due = False

    def flush_soon(self) -> None:
        """Flush once the event loop is done with what it is running now: with several
        workers, after each request (once for all the requests that end together), so that
        a scrape that another worker answers next counts it."""
        if not self._flush_due:
            self._flush_due = True
            asyncio.get_running_loop().call_soon(self.flush)

    def histogram(self, target: Any) -> LocalHistogram:
        series = LocalHistogram(target)
        self._series.append(series)
        return series

    def gauge(self, target: Any) -> LocalGauge:
        series = LocalGauge(target)
        self._series.append(series)
        return series

    def flush(self) -> None:
        self._flush_due = False
        for series in self._series:
            series.flush()
