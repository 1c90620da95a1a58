"""X-Request-ID on every request and every answer, one access line per request, and with
METRICS the HTTP metrics (app.observability.http): one layer observes each request, and
stamps every answer with the headers every answer has (app.api.headers).

The id is the client's X-Request-ID when it is well formed (1 to 128 characters of
A-Z a-z 0-9 and `- _ . : + / =`), else a new UUIDv7: anything else is replaced, never
echoed. It is answered in the X-Request-ID header, in problem+json bodies
(app.api.problems) and on every log line written while the request is served
(app.request_context, app.logs).

`install_request_ids` puts the middleware outside the whole Starlette stack, outside
its ServerErrorMiddleware, so that a 500 carries the id too; a pure ASGI layer and a
context variable, with no per-request object but the context itself. The route
template is read from the scope the router matched in, which the middlewares between
copy: a one-line layer innermost keeps a hold of it.
"""

from __future__ import annotations

import logging
import re
import time
from time import perf_counter
from typing import TYPE_CHECKING, Any

from starlette.types import ASGIApp, Message, Receive, Scope, Send
from uuid_utils import uuid7

from app.access_log import ACCESS, AccessLine, duration_text, write_access
from app.api.headers import NOSNIFF
from app.observability.http import HttpRecorder
from app.request_context import CURRENT, RequestContext

if TYPE_CHECKING:
    from fastapi import FastAPI

    from app.observability.metrics import Metrics  # prometheus-client: imported with METRICS on only

HEADER = b"x-request-id"
_WELL_FORMED = re.compile(rb"[A-Za-z0-9._:+/=-]{1,128}")


def new_request_id() -> str:
    return str(uuid7())


def _taken(headers: list[tuple[bytes, bytes]]) -> str | None:
    for name, value in headers:
        if name == HEADER:
            return value.decode("ascii") if _WELL_FORMED.fullmatch(value) else None
    return None


class RequestIdMiddleware:
    """With `http`, it also records the HTTP metrics: one layer observes each request."""

    def __init__(self, app: ASGIApp, http: HttpRecorder | None = None) -> None:
        self.app = app
        self.http = http

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        context = RequestContext(_taken(scope["headers"]) or new_request_id())
        # Never reset: each request runs in a task of its own, and uvicorn's line about an
        # exception that escapes, written once this returns, is about this request.
        CURRENT.set(context)
        stamped = (NOSNIFF, (HEADER, context.id.encode("ascii")))
        status = 500  # what uvicorn answers if nothing was sent
        http = self.http
        method = http.started(scope["method"]) if http is not None else ""
        started = perf_counter()

        async def send_with_id(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
                message["headers"] = [*message.get("headers", ()), *stamped]
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            seconds = perf_counter() - started
            logged = ACCESS.isEnabledFor(logging.INFO)  # not at LOG_LEVEL=WARNING
            if http is not None or logged:
                route = _route_template(context.routed)
                if http is not None:
                    http.finished(method, route, status, seconds)
                if logged:
                    _log_access(scope, context, route, status, seconds)
        context.finished = True


def _log_access(
    scope: Scope, context: RequestContext, route: str | None, status: int, seconds: float
) -> None:
    touched = context.databases
    client = scope.get("client")
    write_access(
        tuple.__new__(
            AccessLine,
            (
                context.id,
                (_ADDRESSES.get(client) or _address(client)) if client else None,
                scope["method"],
                route,
                status,
                (*touched,) if len(touched) < 2 else tuple(sorted(touched)),
                duration_text(seconds),
                time.time(),
                None,
            ),
        )
    )


def log_refusal(
    client: str | None, method: str, path: str, status: int, detail: str, request_id: str
) -> None:
    """The access line of an answer the HTTP server gave before the application (408, 431):
    no route was matched, so the path stands in (without its query), with the reason."""
    if not ACCESS.isEnabledFor(logging.INFO):
        return
    message = f'{client or "-"} - "{method} {path}" {status:d} ({detail})'
    write_access(AccessLine(request_id, client, method, None, status, (), None, time.time(), message))


def _address(client: tuple[str, int]) -> str:
    """host:port as uvicorn's line had it; a proxy's client only from FORWARDED_ALLOW_IPS.
    Kept for the connection's next requests (a client's port is its connection's)."""
    if len(_ADDRESSES) >= 10_000:
        _ADDRESSES.clear()
    address = _ADDRESSES[client] = f"{client[0]}:{client[1]}"
    return address


_ADDRESSES: dict[tuple[str, int], str] = {}


def _route_template(routed: Scope | None) -> str | None:
    """The template of the route that served the request (/products/{id}), never the path.
    FastAPI's routes name themselves in the scope; Starlette's (/docs, /status, a mount)
    are found by their endpoint."""
    if routed is None:
        return None
    route = routed.get("route")
    if route is None and (endpoint := routed.get("endpoint")) is not None:
        router = routed.get("router")
        candidates = getattr(router, "routes", ())
        route = next(
            (r for r in candidates if endpoint in (getattr(r, "endpoint", 0), getattr(r, "app", 0))), None
        )
    template: Any = getattr(route, "path_format", None)
    return template if isinstance(template, str) else None


class _KeepRoutedScope:
    """Innermost: keeps the scope that the router will match in (and write the route to)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        context = CURRENT.get()
        if context is not None:
            context.routed = scope
        await self.app(scope, receive, send)


def install_request_ids(app: FastAPI, metrics: Metrics | None = None) -> None:
    """Call before adding any other middleware: its inner layer must be the innermost. With
    `metrics`, the HTTP metrics are recorded too."""
    app.add_middleware(_KeepRoutedScope)
    build = app.build_middleware_stack
    http = HttpRecorder(metrics) if metrics is not None else None
    app.build_middleware_stack = lambda: RequestIdMiddleware(build(), http)  # type: ignore[method-assign]
