from __future__ import annotations

import json
import logging
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any, Literal, TextIO

from app.request_context import request_id

LogFormat = Literal["text", "json"]
_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# With WORKERS processes, each line says which one wrote it.
_WORKER_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"
# One encoder for every line: json.dumps with options builds a new one per call.
_ENCODE = json.JSONEncoder(ensure_ascii=False, default=str).encode


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

    def filter(self, record: logging.LogRecord) -> bool:
        if self._secrets:
            record.msg = self._redact(record.getMessage())
            record.args = None
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._redact(record.exc_text)
        return True


class WithRequestId(logging.Filter):
    """Stamps each line with the id of the request being served (None outside one)."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id()
        return True


class TextFormatter(logging.Formatter):
    """The text line, its first line ending in `request_id=<id>` while a request is served
    (a traceback follows it)."""

    def __init__(self, with_pid: bool = False) -> None:
        super().__init__(_WORKER_FORMAT if with_pid else _FORMAT)

    def formatMessage(self, record: logging.LogRecord) -> str:  # noqa: N802 (logging's name)
        line = super().formatMessage(record)
        found = getattr(record, "request_id", None)
        return f"{line} request_id={found}" if found else line


class JsonFormatter(logging.Formatter):
    """One JSON object a line: time (UTC, ISO 8601), level, logger, message, request_id,
    the fields of an access line, the traceback of an exception, and with WORKERS the pid."""

    def __init__(self, with_pid: bool = False) -> None:
        super().__init__()
        self.with_pid = with_pid

    def format(self, record: logging.LogRecord) -> str:
        line: dict[str, Any] = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
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


def service_handler(
    secrets: Iterable[str],
    log_format: LogFormat = "text",
    stream: TextIO | None = None,
    with_pid: bool = False,
) -> logging.Handler:
    """A handler on `stream` (stderr) with secrets redacted, each line with the id of the
    request it was written for, as text or as JSON objects: the same redaction for both."""
    handler = logging.StreamHandler(stream)
    formatter = JsonFormatter(with_pid) if log_format == "json" else TextFormatter(with_pid)
    handler.setFormatter(formatter)
    handler.addFilter(RedactSecrets(secrets))
    handler.addFilter(WithRequestId())
    return handler


def configure_logging(
    level: str, secrets: Iterable[str], log_format: LogFormat = "text", with_pid: bool = False
) -> None:
    """One handler on stderr for the service and uvicorn (service_handler)."""
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
    # The access line is the service's (app.api.request_ids), with the route template, the
    # duration and the databases; the one uvicorn's own protocols write is dropped.
    access = logging.getLogger("uvicorn.access")
    access.filters.clear()
    access.addFilter(lambda record: hasattr(record, "access"))
    # Alembic says "Context impl ..." and "setup plugin ..." for every database at every
    # start; the service logs what it upgraded itself. Its lines stay for DEBUG.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
