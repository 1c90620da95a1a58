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
        message = message_of(line)
        values = {
            "asctime": f"{self._second_text},{_MILLISECONDS[int((created - second) * 1000)]}",
            "levelname": "INFO",
            "name": ACCESS.name,
            "message": message,
            "process": _PID[0],
        }
        text = self._fmt % values if self._fmt is not None else message
        return f"{text} request_id={line.request_id}" if line.request_id else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    the fields of an access line, the traceback of an exception, and with WORKERS the pid."""

    def __init__(self, with_pid: bool = False) -> None:
        super().__init__()
        self.with_pid = with_pid
        # A route's pieces (method, route, status, databases), _route_pieces.
        self._routes: dict[tuple[str, str | None, int, tuple[str, ...]], tuple[str, str, str, str, str]] = {}
        self._pid = _PID[0]
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
        pieces escaped once by the same encoder (a route's, a client's), but the request id,
        which is well formed, with nothing to escape (app.api.request_ids)."""
        request_id, client, method, route, status, databases, duration, created, message = line
        if message is not None or duration is None or client is None or request_id is None:
            return self._format_access_apart(line)
        if self._pid != _PID[0]:  # a forked worker's: its own pid in its pieces
            self._routes.clear()
            self._pid = _PID[0]
        pieces = self._routes.get((method, route, status, databases))
        if pieces is None:
            pieces = self._route_pieces(line)
        to_message, middle, to_request_id, to_client, to_duration = pieces
        escaped = self._clients.get(client) or self._client(client)
        return (
            f'{{"time": "{_utc_time(created)}{to_message}{escaped}{middle}{duration}{to_request_id}'
            f"{request_id}{to_client}{escaped}{to_duration}{duration}}}"
        )

    def _format_access_apart(self, line: AccessLine) -> str:
        """format_access for a line with a message of its own, no duration, no client or no
        request id: each member made apart."""
        request_id, client, *_, duration, created, _ = line
        request = "null" if request_id is None else f'"{request_id}"'
        pid = _PID_MEMBER[0] if self.with_pid else ""
        client_json = "null" if client is None else encode_basestring(client)
        message = encode_basestring(message_of(line))
        return (
            f'{{"time": "{_utc_time(created)}", {_LEVEL_LOGGER}, "message": {message}, '
            f'"request_id": {request}{pid}, "client": {client_json}, {_members(line)}'
            f"{'}' if duration is None else f', {_DURATION}{duration}}}'}"
        )

    def _route_pieces(self, line: AccessLine) -> tuple[str, str, str, str, str]:
        """What the lines of one route (method, route, status, databases) have in common
        around what each has of its own: time, client, duration, request id."""
        pid = _PID_MEMBER[0] if self.with_pid else ""
        pieces = (
            f'", {_LEVEL_LOGGER}, "message": "',
            encode_basestring(message_middle(line))[1:-1],
            f'{encode_basestring(message_end(line.databases))[1:-1]}", "request_id": "',
            f'"{pid}, "client": "',
            f'", {_members(line)}, {_DURATION}',
        )
        if len(self._routes) >= _KEPT:
            self._routes.clear()
        self._routes[(line.method, line.route, line.status, line.databases)] = pieces
        return pieces

    def _client(self, client: str) -> str:
        if len(self._clients) >= _KEPT:
            self._clients.clear()
        escaped = self._clients[client] = encode_basestring(client)[1:-1]
        return escaped


def _members(line: AccessLine) -> str:
    """An access line's method, route, status and databases, as JSON members."""
    route = "null" if line.route is None else encode_basestring(line.route)
    return (
        f'"method": {encode_basestring(line.method)}, "route": {route}, "status": {line.status:d}, '
        f'"databases": [{", ".join(map(encode_basestring, line.databases))}]'
    )


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
