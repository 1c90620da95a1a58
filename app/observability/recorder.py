"""The metrics of one database: its operations, errors and availability, each series
looked up once (a label lookup costs more than the observation itself), the operations'
durations recorded without a lock (local.py)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from app.observability.local import LocalHistogram
    from app.observability.metrics import Metrics  # prometheus-client: imported with METRICS on only


FAILED = frozenset({"conflict", "unavailable", "timeout", "error"})
NO_ANSWER = frozenset({"unavailable", "timeout"})


class DatabaseRecorder:
    def __init__(self, metrics: Metrics, database: str, db_type: str) -> None:
        self.database = database
        self.db_type = db_type
        self._metrics = metrics
        self._durations: dict[tuple[str, str], LocalHistogram] = {}
        self._errors: dict[str, Any] = {}
        self._up = metrics.up.labels(database, db_type)
        self.answering: bool | None = None  # unknown until it is first asked

    def record(self, operation: str, outcome: str, seconds: float, counted: bool = False) -> None:
        """`counted`: the error was counted already, by the operation inside this unit of work
        that failed with it."""
        key = (operation, outcome)
        series = self._durations.get(key)
        if series is None:
            series = self._durations[key] = self._metrics.local.histogram(
                self._metrics.operation.labels(self.database, self.db_type, operation, outcome)
            )
        series.observe(seconds)
        if outcome in FAILED and not counted:
            errors = self._errors.get(outcome)
            if errors is None:
                errors = self._errors[outcome] = self._metrics.errors.labels(
                    self.database, self.db_type, outcome
                )
            errors.inc()
        if outcome != "error":  # a bug of this service says nothing of the database
            self.set_answering(outcome not in NO_ANSWER)

    def set_answering(self, answering: bool) -> None:
        if answering is not self.answering:  # a gauge written on a change, not per operation
            self.answering = answering
            self._up.set(1 if answering else 0)
