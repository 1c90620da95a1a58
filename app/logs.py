from __future__ import annotations

import logging
from collections.abc import Iterable

_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
# With WORKERS processes, each line says which one wrote it.
_WORKER_FORMAT = "%(asctime)s [%(process)d] %(levelname)s %(name)s: %(message)s"


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


def configure_logging(level: str, secrets: Iterable[str], with_pid: bool = False) -> None:
    """One handler on stderr for the service and uvicorn, with secrets redacted."""
    handler = logging.StreamHandler()
    handler.setFormatter(logging.Formatter(_WORKER_FORMAT if with_pid else _FORMAT))
    handler.addFilter(RedactSecrets(secrets))
    logging.basicConfig(level=level.upper(), handlers=[handler], force=True)
    for name in ("uvicorn", "uvicorn.error", "uvicorn.access"):
        logger = logging.getLogger(name)
        logger.handlers.clear()
        logger.propagate = True
    # Alembic says "Context impl ..." and "setup plugin ..." for every database at every
    # start; the service logs what it upgraded itself. Its lines stay for DEBUG.
    if logging.getLogger().getEffectiveLevel() > logging.DEBUG:
        logging.getLogger("alembic").setLevel(logging.WARNING)
