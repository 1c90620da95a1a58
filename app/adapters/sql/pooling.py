"""Connections that go back to the pool whatever their server does meanwhile.

Reads run on connections switched to autocommit for the checkout (`execution_options(
isolation_level="AUTOCOMMIT")`: no BEGIN and ROLLBACK around a lone SELECT). On MySQL the
switch, and the switch back when the connection is returned, are statements, which
SQLAlchemy runs where a failure escapes its pool's bookkeeping:

- switching after checkout: a failure (the server died, or the request was cancelled)
  leaves the connection checked out with no owner, until the garbage collector finds it;
- switching back at check-in: a failure escapes before the connection is put back, and
  the pool loses that slot for good (seen: a MariaDB killed 20 times under load lost 7 of
  8 slots, then every request waited POOL_TIMEOUT for a connection).

Here a failed switch invalidates (closes) the connection at once, and a failed switch
back closes it before it is put back, where the next checkout finds it dead and
reconnects. Both are SQLAlchemy's private hooks of its dialect, wrapped on our engine's
dialect instance alone.
"""

from __future__ import annotations

import contextlib
import functools
import logging
from typing import Any

from sqlalchemy.engine import Dialect

logger = logging.getLogger("multidb.adapters")


def return_connections_whatever_happens(dialect: Dialect) -> None:
    switch = dialect._set_connection_characteristics  # type: ignore[attr-defined]
    switch_back = dialect._reset_characteristics  # type: ignore[attr-defined]

    @functools.wraps(switch)
    def switch_or_invalidate(connection: Any, characteristics: Any) -> None:
        try:
            switch(connection, characteristics)
        except BaseException as error:  # a cancellation too: the connection must not be orphaned
            with contextlib.suppress(Exception):
                connection.invalidate(error)
            raise

    @functools.wraps(switch_back)
    def switch_back_or_close(characteristics: Any, dbapi_connection: Any) -> None:
        try:
            switch_back(characteristics, dbapi_connection)
        except Exception as error:
            logger.info("a connection that could not be reset is closed: %s", type(error).__name__)
            with contextlib.suppress(Exception):
                dialect.do_terminate(dbapi_connection)

    dialect._set_connection_characteristics = switch_or_invalidate  # type: ignore[attr-defined]
    dialect._reset_characteristics = switch_back_or_close  # type: ignore[attr-defined]
