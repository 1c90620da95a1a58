"""asyncpg's errors as the adapter contract's: what the client did (Conflict, Invalid),
what the database could not do (Unavailable), and bugs, left as they are."""

from __future__ import annotations

import contextlib
from typing import TYPE_CHECKING, Any

import asyncpg
from asyncpg import exceptions as pg

from app.errors import Conflict, Invalid

if TYPE_CHECKING:
    from app.adapters.interface import DatabaseAdapter
    from app.models.resource import Resource

# The server is gone, going, full, or refused us: SQLSTATE classes 08, 53, 57, 28 and 40
# (a serialization failure or deadlock, which the client may retry).
_UNAVAILABLE: tuple[type[BaseException], ...] = (
    OSError,
    asyncpg.InterfaceError,
    pg.InternalClientError,
    pg.PostgresConnectionError,
    pg.InsufficientResourcesError,
    pg.OperatorInterventionError,
    pg.InvalidAuthorizationSpecificationError,
    pg.TransactionRollbackError,
)


class CheckoutFailed(Exception):
    """No connection could be opened: whatever the driver said, the database is unavailable."""


def translate(adapter: DatabaseAdapter, error: Exception, resource: Resource | None) -> Exception:
    if isinstance(error, pg.IntegrityConstraintViolationError) and resource is not None:
        fields = " or ".join(resource.unique) or "its key"
        return Conflict(f"a {resource.name} row with the same {fields} already exists")
    if isinstance(error, pg.DataError):  # a value the models should have refused
        return Invalid(f"database {adapter.name!r} refused a value of the request")
    if isinstance(error, CheckoutFailed) and error.__cause__ is not None:
        return adapter._unavailable(type(error.__cause__).__name__, error.__cause__)
    if isinstance(error, _UNAVAILABLE):
        return adapter._unavailable(type(error).__name__, error)
    return error


def lost(error: Exception, connection: Any) -> bool:
    """Whether `error` says the connection died under the statement (a restarted server)."""
    return closed(connection) or isinstance(
        error, pg.ConnectionDoesNotExistError | pg.AdminShutdownError | ConnectionError
    )


def closed(connection: Any) -> bool:
    """Whether a pool's connection is closed, or already back in the pool (which is where
    asyncpg puts one that was terminated)."""
    try:
        return bool(connection.is_closed())
    except asyncpg.InterfaceError:
        return True


def terminate(connection: Any) -> None:
    """Close at once, without a word to the server (which may not answer); nothing to do for
    a connection already closed and back in the pool."""
    with contextlib.suppress(asyncpg.InterfaceError):
        connection.terminate()
