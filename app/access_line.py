"""One request's access line: written by app.api.request_ids, formatted by app.logs (directly
by the service's own handler, as a record by any other)."""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Any

# The access line goes to uvicorn's access logger, in place of the one uvicorn writes.
ACCESS = logging.getLogger("uvicorn.access")


@dataclass(slots=True)
class AccessLine:
    """One request's access line (app.api.request_ids): its message and its fields."""

    message: str
    request_id: str | None
    client: str | None  # host:port
    method: str
    route: str | None  # the template, never the path
    status: int
    duration_ms: float | None  # None for an answer the HTTP server gave itself
    databases: list[str]
    created: float  # time.time()

    def fields(self) -> dict[str, Any]:
        found: dict[str, Any] = {
            "client": self.client,
            "method": self.method,
            "route": self.route,
            "status": self.status,
        }
        if self.duration_ms is not None:
            found["duration_ms"] = self.duration_ms
        found["databases"] = self.databases
        return found

    def record(self) -> logging.LogRecord:
        """The line as a record of ACCESS, for any handler but the service's."""
        # Made here rather than by ACCESS.info(): logging's look for the caller's frame is a
        # third of a record's cost, and the caller is known.
        extra = {"access": self.fields(), "request_id": self.request_id}
        record = ACCESS.makeRecord(
            ACCESS.name, logging.INFO, __file__, 0, self.message, (), None, extra=extra
        )
        record.created = self.created
        record.msecs = int((self.created - int(self.created)) * 1000) + 0.0
        return record
