"""Refusals a route makes before FastAPI reads the request (a query parameter given twice,
If-Unmodified-Since), as plain functions of the ASGI scope run in front of the route's own
app, chosen when the route is built: as FastAPI dependencies each would be solved per
request (bench/README.md, "Issue 11: what moved which figure")."""

from __future__ import annotations

from collections.abc import Callable

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

Check = Callable[[Scope], None]


def checked_first(route: BaseRoute, *checks: Check) -> None:
    """Run `checks`, in order, before `route` handles a request; each refuses by raising
    the HTTP error the app's handlers turn into problem+json."""
    assert isinstance(route, Route)
    handle = route.app

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        for check in checks:
            check(scope)
        await handle(scope, receive, send)

    route.app = app
