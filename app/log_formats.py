"""The service's two log formats, for records and for access lines (app.access_log), which
they write without a record: text (`LOG_FORMAT=text`) and one JSON object a line
(`LOG_FORMAT=json`). An access line written directly is byte for byte what the format
makes of its record (tests/test_access_log.py)."""

from __future__ import annotations

import json
import logging
import os
import time
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import Any

from app.access_log import ACCESS, AccessLine, message_end, message_middle, message_of

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# With WORKERS processes, each line says which one wrote it.
_WORKER_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode
# What a formatter keeps at most of each kind of piece: methods and clients are the
# client's, so each is kept within bounds (emptied when full).
_KEPT = 1000


class TextFormatter(logging.Formatter):
    """The text line, its first line ending in `request_id=<id>` while a request is served
    (a traceback follows it)."""

    def __init__(self, with_pid: bool = False) -> None:
        super().__init__(_WORKER_FORMAT if with_pid else _FORMAT)
        self._second = -1
        self._second_text = ""

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        found = getattr(record, "request_id", None)
        return f"{line} request_id={found}" if found else line

    def format_access(self, line: AccessLine) -> str:
        """The line formatMessage makes of `line.record()`, without the record."""
        created = line.created
        second = int(created)
        if second != self._second:  # formatTime's text, made once a second
            self._second, self._second_text = (
                second,
                time.strftime(self.default_time_format, self.converter(second)),
            )
        values = {
            "asctime": f"{self._second_text},{_MILLISECONDS[int((created - second) * 1000)]}",
            "levelname": "INFO",
            "name": ACCESS.name,
            "message": message_of(line),
            "process": _PID[0],
        }
        text = self._fmt % values if self._fmt is not None else values["message"]
        return f"{text} request_id={line.request_id}" if line.request_id else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    the fields of an access line, the traceback of an exception, and with WORKERS the pid."""

    def __init__(self, with_pid: bool = False) -> None:
        super().__init__()
        self.with_pid = with_pid
        # A route's pieces (method, route, status, databases): its message's middle and end,
        # escaped, and its members.
        self._routes: dict[tuple[str, str | None, int, tuple[str, ...]], tuple[str, str, str]] = {}
        self._clients: dict[str, str] = {}  # a client, escaped (without its quotes)

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": _utc_time(record.created),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
            "request_id": getattr(record, "request_id", None),
        }
        if self.with_pid:
            line["pid"] = record.process
        access = getattr(record, "access", None)
        if access is not None:
            line.update(access)
        if record.exc_info and not record.exc_text:
            record.exc_text = self.formatException(record.exc_info)
        if record.exc_text:
            line["exception"] = record.exc_text
        return _ENCODE(line)

    def format_access(self, line: AccessLine) -> str:
        """What format makes of `line.record()`, without the record: the same JSON, from
        pieces escaped once by the same encoder (a route's, a client's) but the request id,
        which is well formed, with nothing to escape (app.api.request_ids)."""
        request_id, client, method, route, status, databases, duration, created, message = line
        pieces = self._routes.get((method, route, status, databases))
        if pieces is None:
            pieces = self._route_pieces(line)
        middle, end, members = pieces
        if client is None:
            client_text, client_json = "-", "null"
        else:
            client_text = self._clients.get(client) or self._client(client)
            client_json = f'"{client_text}"'
        if message is None and duration is not None:
            message_json = f'"{client_text}{middle}{duration}{end}"'
        else:
            message_json = encode_basestring(message_of(line))
        request = "null" if request_id is None else f'"{request_id}"'
        return (
            f'{{"time": "{_utc_time(created)}", {_LEVEL_LOGGER}, "message": {message_json}, '
            f'"request_id": {request}'
            f'{_PID_MEMBER[0] if self.with_pid else ""}, "client": {client_json}, {members}'
            f"{'}' if duration is None else f', {_DURATION}{duration}}}'}"
        )

    def _route_pieces(self, line: AccessLine) -> tuple[str, str, str]:
        route = line.route
        pieces = (
            encode_basestring(message_middle(line))[1:-1],
            encode_basestring(message_end(line.databases))[1:-1],
            f'"method": {encode_basestring(line.method)}, '
            f'"route": {"null" if route is None else encode_basestring(route)}, '
            f'"status": {line.status:d}, "databases": [{", ".join(map(encode_basestring, line.databases))}]',
        )
        if len(self._routes) >= _KEPT:
            self._routes.clear()
        self._routes[(line.method, route, line.status, line.databases)] = pieces
        return pieces

    def _client(self, client: str) -> str:
        if len(self._clients) >= _KEPT:
            self._clients.clear()
        escaped = self._clients[client] = encode_basestring(client)[1:-1]
        return escaped


_LEVEL_LOGGER = f'"level": "INFO", "logger": {encode_basestring(ACCESS.name)}'
_DURATION = '"duration_ms": '


def _utc_time(created: float) -> str:
    """UTC, ISO 8601, to the millisecond (truncated, as logging's msecs); the date and time
    of each second made once."""
    milliseconds = int(created * 1000)
    millisecond = milliseconds - _SECOND[0]
    if not 0 <= millisecond < 1000:
        start = milliseconds - milliseconds % 1000
        _SECOND[:] = start, datetime.fromtimestamp(start // 1000, UTC).strftime("%Y-%m-%dT%H:%M:%S")
        millisecond = milliseconds - start
    return f"{_SECOND[1]}.{_MILLISECONDS[millisecond]}+00:00"


# The first millisecond of the second _utc_time last wrote, and the second's text.
_SECOND: list[Any] = [-1000, ""]
_MILLISECONDS = [f"{n:03d}" for n in range(1000)]  # a look-up costs less than a format
# The pid each line with WORKERS shows (os.getpid() costs more than the rest of a field).
_PID = [os.getpid()]
_PID_MEMBER = [f', "pid": {_PID[0]}']  # as JsonFormatter writes it


def _refresh_pid() -> None:
    _PID[0] = os.getpid()
    _PID_MEMBER[0] = f', "pid": {_PID[0]}'


os.register_at_fork(after_in_child=_refresh_pid)
