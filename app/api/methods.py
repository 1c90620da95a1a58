"""HEAD for every GET, OPTIONS with the methods a path has, and a 405's Allow that lists
them all (the router's own names only the first route that matched the path)."""

from __future__ import annotations

from collections.abc import Iterable

from starlette.routing import BaseRoute, Match
from starlette.types import ASGIApp, Message, Receive, Scope, Send

METHODS = ("GET", "POST", "PUT", "PATCH", "DELETE")


def allowed_methods(routes: Iterable[BaseRoute], scope: Scope) -> list[str]:
    """The methods some route serves at this scope's path, HEAD and OPTIONS included;
    empty when no route has the path."""
    routes = list(routes)
    found = [
        method
        for method in METHODS
        if any(route.matches({**scope, "method": method})[0] == Match.FULL for route in routes)
    ]
    if not found:
        return []
    return [*found, "HEAD", "OPTIONS"] if "GET" in found else [*found, "OPTIONS"]


class MethodsMiddleware:
    """HEAD is served as GET without the body (uvicorn drops it on the wire; here it is
    dropped for every server); OPTIONS answers 204 with Allow. Other methods pass."""

    def __init__(self, app: ASGIApp, routes: Iterable[BaseRoute]) -> None:
        self.app = app
        self.routes = routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        method = scope.get("method")
        if method == "HEAD":
            await self.app({**scope, "method": "GET"}, receive, _without_body(send))
        elif method == "OPTIONS":
            allowed = allowed_methods(self.routes, scope)
            if allowed:
                await send({"type": "http.response.start", "status": 204, "headers": [_allow(allowed)]})
                await send({"type": "http.response.body", "body": b""})
            else:
                await self.app(scope, receive, send)
        else:
            await self.app(scope, receive, send)


def _allow(methods: list[str]) -> tuple[bytes, bytes]:
    return b"allow", ", ".join(methods).encode()


def _without_body(send: Send) -> Send:
    async def send_head(message: Message) -> None:
        if message["type"] == "http.response.body" and message.get("body"):
            message = {**message, "body": b""}
        await send(message)

    return send_head
