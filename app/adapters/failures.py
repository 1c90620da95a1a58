"""What a driver's error means: a failure of the database (answered 503), in plain words.

Every backend's adapter asks this, at the one place where its calls are bounded and
translated (`DatabaseAdapter._bounded`), so an error raised on any path of any driver
(connect, execute, fetch, commit, rollback, the return of a connection to its pool) is
classified alike, whichever code path raised it.
"""

from __future__ import annotations

import re
import socket
import ssl
from types import TracebackType
from urllib.parse import urlsplit

from app.errors import Conflict, NotFound, PreconditionFailed, Unavailable
from settings import DatabaseConfig

# The packages that speak to databases. An error raised from inside one of them, or of a
# class one of them defines, is the database's (or the network's) failure, not a bug of
# this service; errors that mean "the request is at fault" (a duplicate key, a refused
# value) are translated by each adapter before this is asked.
DRIVER_PACKAGES = frozenset(
    {"sqlalchemy", "asyncpg", "aiomysql", "pymysql", "pymongo", "bson", "aiosqlite", "sqlite3", "_sqlite3",
     "aioodbc", "pyodbc"}
)  # fmt: skip
_PASSWORD = re.compile(r"(password|pwd)=\S+", re.IGNORECASE)


def from_driver(error: BaseException) -> bool:
    """Whether `error` is a failure of a database or of the network to it."""
    if isinstance(error, OSError | EOFError | ssl.SSLError):
        return True
    if type(error).__module__.split(".")[0] in DRIVER_PACKAGES:
        return True
    frame = _innermost(error.__traceback__)
    return frame is not None and str(frame.tb_frame.f_globals.get("__name__", "")).split(".")[0] in (
        DRIVER_PACKAGES
    )


def _innermost(traceback: TracebackType | None) -> TracebackType | None:
    while traceback is not None and traceback.tb_next is not None:
        traceback = traceback.tb_next
    return traceback


_MISSING_TABLE = re.compile(
    r"relation \"[^\"]*\" does not exist|table '[^']*' doesn't exist|no such table", re.IGNORECASE
)


def missing_table(error: BaseException) -> bool:
    """A statement on a table that is not there (PostgreSQL, MySQL, SQLite)."""
    return bool(_MISSING_TABLE.search(_chain_text(_cause(error))))


def host_of(config: DatabaseConfig) -> str | None:
    if config.CONNECTION_STRING is not None:
        return urlsplit(config.CONNECTION_STRING.get_secret_value()).hostname
    return config.DB_HOST


def reason(error: BaseException, host: str | None = None) -> str:
    """Why the database could not answer, in a few plain words a person can act on:
    "authentication failed for user 'x'", "database 'x' does not exist", "host 'h' not
    found", "connection refused", ... Never a password."""
    cause = _cause(error)
    text = " ".join(str(cause).split())
    lowered = _chain_text(cause).lower()
    if (
        any(isinstance(link, socket.gaierror) for link in _chain(cause))
        or "name or service not known" in lowered
        or ("nodename nor servname" in lowered or "temporary failure in name resolution" in lowered)
    ):
        named = f"'{host}'" if host else _quoted(text, ("host", "server on"))
        return f"host {named} not found" if named else "host not found"
    if isinstance(cause, ssl.SSLError) or re.search(r"\b(ssl|tls)\b|certificate", lowered):
        return f"TLS failed: {_short(text)}"
    if "password authentication failed" in lowered or "access denied for user" in lowered:
        user = _quoted(text, ("user",))
        return f"authentication failed for user {user}" if user else "authentication failed"
    if "authentication failed" in lowered or "auth failed" in lowered:
        return "authentication failed"
    if match := re.search(r"role \"([^\"]*)\" does not exist", text):
        return f"authentication failed for user '{match.group(1)}' (no such role)"
    if match := re.search(r"database \"([^\"]*)\" does not exist|unknown database '([^']*)'", text, re.I):
        return f"database '{match.group(1) or match.group(2)}' does not exist"
    if "no database selected" in lowered:  # MySQL: the connection's database was dropped under it
        return "its database was dropped"
    if (
        isinstance(cause, ConnectionRefusedError)
        or "connection refused" in lowered
        or ("errno 111" in lowered or "connect call failed" in lowered)
    ):
        return "connection refused"
    if isinstance(cause, TimeoutError) or "timed out" in lowered or "timeout" in lowered:
        return "no answer in time"
    if isinstance(cause, ConnectionError | EOFError) or "lost connection" in lowered or "closed" in lowered:
        return "connection lost"
    return f"{type(cause).__name__}: {_short(text)}" if text else type(cause).__name__


def _chain(error: BaseException) -> list[BaseException]:
    """The error and the errors it was raised from (a driver wraps the socket's error)."""
    found: list[BaseException] = []
    link: BaseException | None = error
    while link is not None and link not in found and len(found) < 10:
        found.append(link)
        link = link.__cause__ or link.__context__
    return found


def _chain_text(error: BaseException) -> str:
    return " ".join(" ".join(str(link).split()) for link in _chain(error))


def driver_words(error: BaseException) -> str:
    """The driver's own message, on one line, without SQLAlchemy's wrapping."""
    return _short(" ".join(str(_cause(error)).split()))


def _cause(error: BaseException) -> BaseException:
    """The driver's own error under SQLAlchemy's wrapper, or under a connect error."""
    orig = getattr(error, "orig", None)
    if isinstance(orig, BaseException):
        return orig
    return error


def _quoted(text: str, after: tuple[str, ...]) -> str | None:
    for word in after:
        if match := re.search(rf"{word}\s+(\"[^\"]*\"|'[^']*')", text, re.IGNORECASE):
            return "'" + match.group(1)[1:-1] + "'"
    return None


def _short(text: str) -> str:
    return _PASSWORD.sub(r"\1=***", text)[:200]


def outcome(error: BaseException | None) -> str | None:
    """What an operation came to, for the metrics: ok, not_found, conflict, unavailable,
    timeout, or error (a refused value, a bug); None for a cancelled one (the client left)."""
    if error is None:
        return "ok"
    if isinstance(error, NotFound):
        return "not_found"
    if isinstance(error, Conflict | PreconditionFailed):
        return "conflict"
    if isinstance(error, Unavailable):
        return "timeout" if error.timed_out else "unavailable"
    if isinstance(error, TimeoutError):
        return "timeout"
    if isinstance(error, Exception):
        return "error"
    return None
