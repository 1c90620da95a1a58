from __future__ import annotations

import json
import logging
import os
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from json.encoder import encode_basestring
from typing import TYPE_CHECKING, Any, Literal, TextIO

from app.access_line import ACCESS, AccessLine
from app.request_context import request_id

if TYPE_CHECKING:
    from settings import Settings

LogFormat = Literal["text", "json"]
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# With WORKERS processes, each line says which one wrote it.
_WORKER_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode


def write_access(line: AccessLine) -> None:
    """`line`, written as logging would write a record of ACCESS at INFO, to the same handlers.

    The service's own handlers (ServiceHandler) format and write it directly: no record, no
    filters, no formatter lookup: about half of what a record cost (bench/README.md,
    "Observability: what moved which figure"). Any other handler gets a record, as does
    every handler while ACCESS has a filter that is not the service's."""
    if ACCESS.disabled or not ACCESS.isEnabledFor(logging.INFO):
        return
    filters = ACCESS.filters
    if filters and (len(filters) > 1 or type(filters[0]) is not ServiceAccessOnly):
        ACCESS.handle(line.record())
        return
    record = None
    logger: logging.Logger | None = ACCESS
    while logger is not None:
        for handler in logger.handlers:
            if handler.level > logging.INFO:
                continue
            if isinstance(handler, ServiceHandler):
                handler.write_access(line)
            else:
                record = record or line.record()
                handler.handle(record)
        logger = logger.parent if logger.propagate else None


class ServiceAccessOnly(logging.Filter):
    """On ACCESS: lets the service's access lines through, not the ones uvicorn's protocols
    write (the service's have the route template, the duration and the databases)."""

    def filter(self, record: logging.LogRecord) -> bool:
        return hasattr(record, "access")


class RedactSecrets(logging.Filter):
    """Replaces every configured password in a log line, traceback included, by ***.
    The service never logs a secret on purpose; this catches a driver that does."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self._secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def _redact(self, text: str) -> str:
        for secret in self._secrets:
            text = text.replace(secret, "***")
        return text

    def redact_access(self, line: AccessLine) -> AccessLine:
        """`line` with its text redacted, as a record's message is."""
        if not self._secrets:
            return line
        redact = self._redact
        return AccessLine(
            redact(line.message), line.request_id, line.client and redact(line.client),
            redact(line.method), line.route and redact(line.route), line.status, line.duration_ms,
            line.databases, line.created,
        )  # fmt: skip

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self._redact(record.getMessage())
            record.args = None
            access = getattr(record, "access", None)
            if access is not None:  # an access line's fields, as in redact_access
                redact = self._redact
                record.access = {k: redact(v) if isinstance(v, str) else v for k, v in access.items()}
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._redact(record.exc_text)
        return True


class WithRequestId(logging.Filter):
    """Stamps each line with the id of the request being served (None outside one), unless
    it names its request itself (an access line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


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
        second = int(line.created)
        if second != self._second:  # formatTime's text, made once a second
            self._second, self._second_text = (
                second,
                time.strftime(self.default_time_format, self.converter(second)),
            )
        values = {
            "asctime": f"{self._second_text},{_MILLISECONDS[int((line.created - second) * 1000)]}",
            "levelname": "INFO",
            "name": ACCESS.name,
            "message": line.message,
            "process": _PID[0],
        }
        text = self._fmt % values if self._fmt is not None else line.message
        return f"{text} request_id={line.request_id}" if line.request_id else text


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    the fields of an access line, the traceback of an exception, and with WORKERS the pid."""

    def __init__(self, with_pid: bool = False) -> None:
        super().__init__()
        self.with_pid = with_pid
        self._shared: dict[tuple[str, str | None, int], str] = {}
        self._databases: dict[str, str] = {}  # a request's one database, encoded

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
        """What format makes of `line.record()`, without the record: the same JSON, text
        escaped by the same encoder (route templates and database names included). What a
        route's lines share (method, route, status) is encoded once."""
        key = (line.method, line.route, line.status)
        shared = self._shared.get(key)
        if shared is None:
            shared = (
                f'"method": {encode_basestring(line.method)}, "route": {_string_or_null(line.route)}, '
                f'"status": {line.status:d}'
            )
            if len(self._shared) < _SHARED_KEPT:  # methods are the client's: kept within bounds
                self._shared[key] = shared
        pid = f', "pid": {_PID[0]}' if self.with_pid else ""
        duration = "" if line.duration_ms is None else f', "duration_ms": {line.duration_ms!r}'
        databases = self._databases.get(line.databases[0]) if len(line.databases) == 1 else None
        if databases is None:
            databases = ", ".join(map(encode_basestring, line.databases))
            if len(line.databases) == 1 and len(self._databases) < _SHARED_KEPT:
                self._databases[line.databases[0]] = databases
        request = "null" if line.request_id is None else encode_basestring(line.request_id)
        client = "null" if line.client is None else encode_basestring(line.client)
        return (
            f'{{"time": "{_utc_time(line.created)}", "level": "INFO", "logger": "{ACCESS.name}", '
            f'"message": {encode_basestring(line.message)}, "request_id": {request}{pid}, '
            f'"client": {client}, {shared}{duration}, "databases": [{databases}]}}'
        )


def _string_or_null(text: str | None) -> str:
    return "null" if text is None else encode_basestring(text)


def _utc_time(created: float) -> str:
    """UTC, ISO 8601, to the millisecond; the date and time of each second made once."""
    second = int(created)
    micro = round((created - second) * 1e6)  # as datetime.fromtimestamp rounds
    if micro == 1_000_000:
        second, micro = second + 1, 0
    if second != _SECOND[0]:
        _SECOND[:] = second, datetime.fromtimestamp(second, UTC).strftime("%Y-%m-%dT%H:%M:%S")
    return f"{_SECOND[1]}.{_MILLISECONDS[micro // 1000]}+00:00"


_SECOND: list[Any] = [None, ""]  # the last second _utc_time wrote, and its text
_MILLISECONDS = [f"{n:03d}" for n in range(1000)]  # a look-up costs less than a format
# The pid each line with WORKERS shows (os.getpid() costs more than the rest of a field).
_PID = [os.getpid()]
os.register_at_fork(after_in_child=lambda: _PID.__setitem__(0, os.getpid()))
# (method, route, status) fragments kept by a JsonFormatter at most.
_SHARED_KEPT = 1000


class ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The service's handler (service_handler), which also writes access lines directly
    (write_access)."""

    def __init__(
        self, stream: TextIO | None, formatter: TextFormatter | JsonFormatter, redact: RedactSecrets
    ) -> None:
        super().__init__(stream)
        self.setFormatter(formatter)
        self.addFilter(redact)
        self.addFilter(WithRequestId())
        self._format_access = formatter.format_access
        self._redact = redact

    def write_access(self, line: AccessLine) -> None:
        try:
            text = self._format_access(self._redact.redact_access(line)) + self.terminator
            with self.lock:  # type: ignore[union-attr]
                self.stream.write(text)
                self.stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(line.record())


def service_handler(
    secrets: Iterable[str],
    log_format: LogFormat = "text",
    stream: TextIO | None = None,
    with_pid: bool = False,
) -> logging.Handler:
    """A handler on `stream` (stderr) with secrets redacted, each line with the id of the
    request it was written for, as text or as JSON objects: the same redaction for both."""
    formatter = JsonFormatter(with_pid) if log_format == "json" else TextFormatter(with_pid)
    return ServiceHandler(stream, formatter, RedactSecrets(secrets))


def configure_logging_from(settings: Settings, with_pid: bool) -> None:
    """configure_logging as `settings` say: level, secrets to redact, format, access lines."""
    configure_logging(
        settings.LOG_LEVEL,
        settings.secrets(),
        settings.LOG_FORMAT,
        with_pid=with_pid,
        access_log=settings.ACCESS_LOG,
    )


def configure_logging(
    level: str,
    secrets: Iterable[str],
    log_format: LogFormat = "text",
    with_pid: bool = False,
    access_log: bool = True,
) -> None:
    """One handler on stderr for the service and uvicorn (service_handler); without
    `access_log`, no access line (ACCESS below INFO: not even built, app.api.request_ids)."""
    handler = service_handler(secrets, log_format, with_pid=with_pid)
    # No line shows the thread or multiprocessing names, nor the pid but with WORKERS: not
    # looked up for every line.
    logging.logThreads = logging.logMultiprocessing = False
    logging.logProcesses = with_pid
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    ACCESS.filters.clear()
    ACCESS.addFilter(ServiceAccessOnly())
    ACCESS.setLevel(logging.NOTSET if access_log else logging.WARNING)
    # Alembic says "Context impl ..." and "setup plugin ..." for every database at every
    # start; the service logs what it upgraded itself. Its lines stay for DEBUG.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
