"""Sockets that PyMongo opens and then abandons when its caller is cancelled.

PyMongo's async connect (`pymongo.pool_shared._async_create_connection`) closes its new
socket on a timeout or an OSError, but not when the task is cancelled mid-connect: a
request cut off by QUERY_TIMEOUT, or PyMongo's own monitor cancelled when a server dies
or the client closes. The socket is then left to the garbage collector (a ResourceWarning,
and a file descriptor held until then). Here the connect runs to its own end, bounded by
CONNECT_TIMEOUT, and a socket whose caller has gone is closed as soon as it exists.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import socket
from collections.abc import Awaitable, Callable
from typing import Any

import pymongo.pool_shared

Connect = Callable[..., Awaitable[socket.socket]]


def close_sockets_of_cancelled_connects() -> None:
    original: Connect = pymongo.pool_shared._async_create_connection
    if getattr(original, "closes_when_cancelled", False):
        return

    @functools.wraps(original)
    async def create_connection(*args: Any, **kwargs: Any) -> socket.socket:
        connecting = asyncio.ensure_future(original(*args, **kwargs))
        try:
            return await asyncio.shield(connecting)
        except asyncio.CancelledError:
            connecting.add_done_callback(_close_socket)
            raise

    create_connection.closes_when_cancelled = True  # type: ignore[attr-defined]
    pymongo.pool_shared._async_create_connection = create_connection


def _close_socket(connecting: asyncio.Future[socket.socket]) -> None:
    if connecting.cancelled() or connecting.exception() is not None:
        return
    with contextlib.suppress(OSError):
        connecting.result().close()
