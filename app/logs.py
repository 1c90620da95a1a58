from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TYPE_CHECKING, Any, Literal, TextIO

from app.access_log import ACCESS, AccessLine, message_of, write_queued
from app.log_formats import JsonFormatter, TextFormatter
from app.request_context import request_id

if TYPE_CHECKING:
    from settings import Settings

LogFormat = Literal["text", "json"]


class ServiceAccessOnly(logging.Filter):
    """On ACCESS: lets the service's access lines through, not the ones uvicorn's protocols
    write (the service's have the route template, the duration and the databases)."""

    passes_access_lines = True  # app.access_log.write_queued: lines need no record for it

    def filter(self, record: logging.LogRecord) -> bool:
        return hasattr(record, "access")


class RedactSecrets(logging.Filter):
    """Replaces every configured password in a log line, traceback included, by ***.
    The service never logs a secret on purpose; this catches a driver that does."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = sorted({s for s in secrets if s}, key=len, reverse=True)

    def _redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "***")
        return text

    def redact_access(self, line: AccessLine) -> AccessLine:
        """`line` with its text redacted, as a record's message and members are: the line
        itself when its usual message holds no secret, since that message holds each of its
        texts (client, method, route, databases)."""
        message = message_of(line)
        if line.message is None and not any(secret in message for secret in self.secrets):
            return line
        redact = self._redact
        client, route = line.client, line.route
        return line._replace(
            message=redact(message),
            client=client and redact(client),
            method=redact(line.method),
            route=route and redact(route),
            databases=tuple(map(redact, line.databases)),
        )

    def filter(self, record: logging.LogRecord) -> bool:
        if self.secrets:
            record.msg = self._redact(record.getMessage())
            record.args = None
            access = getattr(record, "access", None)
            if access is not None:  # an access line's fields, as in redact_access
                redact = self._redact
                record.access = {k: _redacted(v, redact) for k, v in access.items()}
            if record.exc_info and not record.exc_text:
                record.exc_text = logging.Formatter().formatException(record.exc_info)
            if record.exc_text:
                record.exc_text = self._redact(record.exc_text)
        return True


def _redacted(value: Any, redact: Callable[[str], str]) -> Any:
    """An access line's member, its text redacted (the databases' names too)."""
    if isinstance(value, str):
        return redact(value)
    if isinstance(value, list):
        return [redact(item) if isinstance(item, str) else item for item in value]
    return value


class WithRequestId(logging.Filter):
    """Stamps each line with the id of the request being served (None outside one), unless
    it names its request itself (an access line)."""

    def filter(self, record: logging.LogRecord) -> bool:
        if not hasattr(record, "request_id"):
            record.request_id = request_id()
        return True


class ServiceHandler(logging.StreamHandler):  # type: ignore[type-arg]
    """The service's handler (service_handler). It writes the queued access lines itself, in
    one go (write_access_lines, app.access_log); before any other line, and on flush (at
    exit, logging.shutdown), the access lines queued before it."""

    def __init__(
        self, stream: TextIO | None, formatter: TextFormatter | JsonFormatter, redact: RedactSecrets
    ) -> None:
        super().__init__(stream)
        self.setFormatter(formatter)
        self.addFilter(redact)
        self.addFilter(WithRequestId())
        self._format_access = formatter.format_access
        self._redact = redact if redact.secrets else None

    def write_access_lines(self, lines: list[AccessLine]) -> None:
        """`lines`, each as the formatter makes its record, in writes of at most PIPE_BUF
        bytes: a larger write to a pipe may be split, and another worker's lines written in
        between."""
        texts, redact = [], self._redact
        for line in lines:
            try:
                texts.append(self._format_access(line if redact is None else redact.redact_access(line)))
            except RecursionError:
                raise
            except Exception:
                self.handleError(line.record())
        if not texts:
            return
        terminator = self.terminator
        text = terminator.join(texts) + terminator
        if len(text) > _WRITTEN_AT_ONCE or not text.isascii():  # else one write: the usual case
            self._write_in_parts(texts)
            return
        with self.lock:  # type: ignore[union-attr]
            self._write(text)

    def _write_in_parts(self, texts: list[str]) -> None:
        terminator = self.terminator
        parts: list[list[str]] = [[]]
        size = 0
        for text in texts:
            length = len((text + terminator).encode())
            if parts[-1] and size + length > _WRITTEN_AT_ONCE:
                parts.append([])
                size = 0
            parts[-1].append(text)
            size += length
        with self.lock:  # type: ignore[union-attr]
            for part in parts:
                self._write(terminator.join(part) + terminator)

    def _write(self, text: str) -> None:
        """Under the lock."""
        try:
            self.stream.write(text)
            self.stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(logging.makeLogRecord({"name": ACCESS.name, "msg": text.split("\n", 1)[0]}))

    def handle(self, record: logging.LogRecord) -> bool:
        write_queued()  # the access lines before it first: no line is reordered
        return bool(super().handle(record))

    def emit(self, record: logging.LogRecord) -> None:
        """StreamHandler's, but for the stream's own flush: flush() writes the queue, which
        must not be done under this handler's lock (it takes other handlers')."""
        try:
            self.stream.write(self.format(record) + self.terminator)
            self.stream.flush()
        except RecursionError:
            raise
        except Exception:
            self.handleError(record)

    def flush(self) -> None:
        write_queued()
        super().flush()


# At most what one write of access lines carries (PIPE_BUF on Linux).
_WRITTEN_AT_ONCE = 4096


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
