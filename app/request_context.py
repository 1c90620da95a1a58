"""The request being served in this task: its id (X-Request-ID) and the databases it
touched, read by every log line written meanwhile and by the access line at its end.

Set by app.api.request_ids for each request; the adapters name each database they reach.
A task started while serving a request (a fan-out over shards) sees the same request; a
task that outlives it (a pool's background work) sees it finished, and its lines carry
no id."""

from __future__ import annotations

from collections.abc import MutableMapping
from contextvars import ContextVar
from dataclasses import dataclass, field
from typing import Any


@dataclass(slots=True)
class RequestContext:
    id: str
    databases: set[str] = field(default_factory=set)
    finished: bool = False
    # The ASGI scope the router matched the request in, where it writes the route.
    routed: MutableMapping[str, Any] | None = None


CURRENT: ContextVar[RequestContext | None] = ContextVar("multidb_request", default=None)


def request_id() -> str | None:
    """The id of the request this task serves, None outside one."""
    context = CURRENT.get()
    return context.id if context is not None and not context.finished else None


def touched(database: str) -> None:
    """Note that the request being served reached `database`."""
    context = CURRENT.get()
    if context is not None:
        context.databases.add(database)
