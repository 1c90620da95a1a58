"""Request bodies over MAX_BODY_BYTES answer 413, as problem+json like every error.

Starlette's RequestBodyLimitMiddleware does the limiting: a declared length over the
limit is refused before a byte is read, and a body streamed without one is counted as
it arrives. Its answer is text/plain (and FastAPI's `max_body_size`, which sits
outside the app's own middleware, sends that one whenever Content-Length is over), so
the middleware is added here, within reach of this wrapper that sends its 413 as
problem+json.
"""

from __future__ import annotations

from starlette.middleware.body_limit import RequestBodyLimitMiddleware
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import problem


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.unlimited = app
        self.app = RequestBodyLimitMiddleware(app, max_body_size=max_bytes)
        self.detail = f"the request body is larger than {max_bytes} bytes (MAX_BODY_BYTES)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if not _may_carry_body(scope):  # every GET: nothing to count, nothing to wrap
            await self.unlimited(scope, receive, send)
            return
        refused = False

        async def as_problem(message: Message) -> None:
            nonlocal refused
            if message["type"] == "http.response.start" and message["status"] == 413:
                refused = True
                # Made per refusal: it carries the request's id.
                await problem(413, self.detail)(scope, receive, send)
            elif not refused:  # the rest of the plain-text answer is dropped
                await send(message)

        await self.app(scope, receive, as_problem)


def _may_carry_body(scope: Scope) -> bool:
    """A request carries a body only with Content-Length or Transfer-Encoding (RFC 9112)."""
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    return any(name in (b"content-length", b"transfer-encoding") for name, _ in headers)
