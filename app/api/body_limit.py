"""Request bodies over MAX_BODY_BYTES answer 413, as problem+json like every error.

FastAPI's own `max_body_size` answers text/plain whenever Content-Length is over the
limit, so the limit is kept here: a declared length over it is refused before a byte
is read, and a body streamed without one is counted as it arrives.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import problem


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        declared = _declared_length(scope)
        if declared is None:  # neither Content-Length nor Transfer-Encoding: no body (RFC 9112)
            await self.app(scope, receive, send)
            return
        if declared.isdigit() and int(declared) > self.max_bytes:
            await problem(413, self._detail)(scope, receive, send)
            return
        received = 0

        async def counted() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:  # the route reading it answers with the handler's 413
                    raise HTTPException(413, self._detail)
            return message

        await self.app(scope, counted, send)

    @property
    def _detail(self) -> str:
        return f"the request body is larger than {self.max_bytes} bytes (MAX_BODY_BYTES)"


def _declared_length(scope: Scope) -> str | None:
    """The Content-Length of a request that may carry a body ("" when it is streamed
    without one); None when it carries none, so that a GET pays nothing here."""
    found = None
    headers: list[tuple[bytes, bytes]] = scope["headers"]
    for name, value in headers:
        if name == b"content-length":
            return value.decode("latin-1")
        if name == b"transfer-encoding":
            found = ""
    return found
