"""The access log: one line per request, written by app.api.request_ids (and for answers the
HTTP server gives itself, app.api.server), formatted by app.logs.

A line is queued as it is made, and the queued lines are written together, ten at a time
or 50 ms after the first, whichever comes first (write_queued): the service's own handler
formats them in one go and writes them in one system call, any other handler gets a
record of each. Not at the end of each turn of the event loop: a callback for that
(call_soon) makes the loop turn once more, which cost more than the writes it saved
(bench/README.md, "Observability: what moved which figure"); a timer, once per batch,
runs in a turn the loop makes anyway. The service's handler writes the queued lines
before any other line, so none is reordered; outside a running event loop a line is
written at once; a process killed outright (SIGKILL) loses the lines of its last 50 ms.
"""

from __future__ import annotations

import logging
import threading
from asyncio import AbstractEventLoop, _get_running_loop
from typing import Any, NamedTuple

# The access line goes to uvicorn's access logger, in place of the one uvicorn writes.
ACCESS = logging.getLogger("uvicorn.access")


def duration_text(seconds: float) -> str:
    """`seconds` in milliseconds to 0.01 ms, as JSON (repr) writes the float: 0.3, 0.34, 12.0
    (tests/test_access_log.py, for every value below 10,000 s). From integers: a float's
    repr, or a format, costs three times this."""
    whole, hundredths = divmod(round(seconds * 100_000), 100)
    return f"{whole}.{_HUNDREDTHS[hundredths]}"


# The digits after the point of n/100 as repr writes them: "0", "01", ..., "1", "11", ...
_HUNDREDTHS = [f"{n:02d}".rstrip("0") or "0" for n in range(100)]


class AccessLine(NamedTuple):
    """One request's access line: its fields, and its message unless it is the request's
    usual one (message_of)."""

    request_id: str | None  # well formed (app.api.request_ids): nothing in it to escape
    client: str | None  # host:port
    method: str
    route: str | None  # the template, never the path
    status: int
    databases: tuple[str, ...]  # sorted
    # To 0.01 ms, as JSON writes the float (duration_text); None for an answer the HTTP
    # server gave itself.
    duration_ms: str | None
    created: float  # time.time()
    message: str | None = None  # None: message_of makes it from the fields

    def fields(self) -> dict[str, Any]:
        """The line's own members, in the order every format writes them."""
        found: dict[str, Any] = {
            "client": self.client,
            "method": self.method,
            "route": self.route,
            "status": self.status,
            "databases": list(self.databases),
        }
        if self.duration_ms is not None:
            found["duration_ms"] = float(self.duration_ms)
        return found

    def record(self) -> logging.LogRecord:
        """The line as a record of ACCESS, for any handler but the service's."""
        # Made here rather than by ACCESS.info(): logging's look for the caller's frame is a
        # third of a record's cost, and the caller is known.
        extra = {"access": self.fields(), "request_id": self.request_id}
        record = ACCESS.makeRecord(
            ACCESS.name, logging.INFO, __file__, 0, message_of(self), (), None, extra=extra
        )
        record.created = self.created
        record.msecs = int((self.created - int(self.created)) * 1000) + 0.0
        return record


def message_of(line: AccessLine) -> str:
    """`line`'s message: 127.0.0.1:5 - "GET /products/{id}" 200 in 0.34 ms on products_db."""
    if line.message is not None:
        return line.message
    return f"{line.client or '-'}{message_middle(line)}{line.duration_ms}{message_end(line.databases)}"


def message_middle(line: AccessLine) -> str:
    """What comes between the client and the duration in message_of: a route's, the same
    for all its lines."""
    return f' - "{line.method} {line.route or "(no route)"}" {line.status} in '


def message_end(databases: tuple[str, ...]) -> str:
    """What follows the duration in message_of."""
    return f" ms on {', '.join(databases)}" if databases else " ms"


def write_access(line: AccessLine) -> None:
    """Queue `line` (at once outside a running event loop). The caller has checked that
    ACCESS is enabled for INFO."""
    _QUEUED.append(line)
    if len(_QUEUED) >= LINES_AT_ONCE:
        write_queued()
        return
    loop = _get_running_loop()
    if loop is None:
        write_queued()
    elif _WRITING_ON[0] is not loop:
        _WRITING_ON[0] = loop
        loop.call_later(WRITTEN_WITHIN_SECONDS, write_queued)


def write_queued() -> None:
    """The queued lines, written as logging would write a record of ACCESS at INFO for
    each, to the same handlers: those with `write_access_lines` (the service's,
    app.logs.ServiceHandler) get the lines themselves, any other a record of each. All of
    them get records while ACCESS has a filter that does not let every line through (one
    that is not app.logs.ServiceAccessOnly)."""
    _WRITING_ON[0] = None
    if not _QUEUED:
        return
    with _TAKING:
        lines = _QUEUED.copy()
        del _QUEUED[: len(lines)]
    filters = ACCESS.filters
    if not lines or ACCESS.disabled:
        return
    if filters and (len(filters) > 1 or not getattr(filters[0], "passes_access_lines", False)):
        for line in lines:
            ACCESS.handle(line.record())
        return
    records: list[logging.LogRecord] | None = None
    logger: logging.Logger | None = ACCESS
    while logger is not None:
        for handler in logger.handlers:
            if handler.level > logging.INFO:
                continue
            direct = getattr(handler, "write_access_lines", None)
            if direct is not None:
                direct(lines)
                continue
            records = records or [line.record() for line in lines]
            for record in records:
                handler.handle(record)
        logger = logger.parent if logger.propagate else None


# Queued lines are written when there are this many (about 4 KB of JSON, one write), or
# this long after the first of them, whichever comes first.
LINES_AT_ONCE = 10
WRITTEN_WITHIN_SECONDS = 0.05
_QUEUED: list[AccessLine] = []
_TAKING = threading.Lock()  # another thread's line (ServiceHandler.handle) writes the queue too
_WRITING_ON: list[AbstractEventLoop | None] = [None]  # the loop whose timer will write them
