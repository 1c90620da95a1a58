"""Refusals a route makes before FastAPI reads the request (a body that is not plain JSON, a
query parameter given twice, If-Unmodified-Since), as plain functions of the ASGI scope run
in front of the route's own app, chosen when the route is built: as FastAPI dependencies
each would be solved per request (bench/README.md, "Issue 11: what moved which figure")."""

from __future__ import annotations

from collections.abc import Awaitable, Callable

from starlette.routing import BaseRoute, Route
from starlette.types import Receive, Scope, Send

Check = Callable[[Scope], None]
# Reads the body: answers what the route reads it from, and whether FastAPI refuses the
# body itself before anything else (app.api.strict.json_body).
BodyCheck = Callable[[Scope, Receive], Awaitable[tuple[Receive, bool]]]


def checked_first(route: BaseRoute, *checks: Check, body: BodyCheck | None = None) -> None:
    """Run the `body` check, then `checks`, in order, before `route` handles a request
    (the order FastAPI ran them in as dependencies); each refuses by raising the HTTP error
    the app's handlers turn into problem+json."""
    assert isinstance(route, Route)
    handle = route.app

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        if body is not None:
            receive, refused_by_route = await body(scope, receive)
            if refused_by_route:
                await handle(scope, receive, send)
                return
        for check in checks:
            check(scope)
        await handle(scope, receive, send)

    route.app = app
