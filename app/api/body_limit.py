"""Request bodies over MAX_BODY_BYTES answer 413, as problem+json like every error.

One layer, which looks at how the body is framed (RFC 9112): a request with neither
Content-Length nor Transfer-Encoding has no body (every GET) and passes untouched, as does
one whose Content-Length is within the limit (the HTTP server delivers exactly that many
bytes, never more); a Content-Length over the limit is refused before a byte is read; a
body streamed without one is counted as it arrives, and refused once past the limit by
an HTTPException that the app's handlers answer as problem+json.

Neither FastAPI's `max_body_size` nor Starlette's RequestBodyLimitMiddleware answers
problem+json (their 413 is text/plain, sent from inside the middleware), and Starlette's
wraps `receive` and `send` of every request that has a body.
"""

from __future__ import annotations

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.problems import problem


class BodyLimitMiddleware:
    def __init__(self, app: ASGIApp, max_bytes: int) -> None:
        self.app = app
        self.max_bytes = max_bytes
        self.detail = f"the request body is larger than {max_bytes} bytes (MAX_BODY_BYTES)"

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length, streamed = _framing(scope["headers"])
        if length is not None and length > self.max_bytes:
            # Made per refusal: it carries the request's id.
            await problem(413, self.detail)(scope, receive, send)
        elif streamed:
            await self._counted(scope, receive, send)
        else:
            await self.app(scope, receive, send)

    async def _counted(self, scope: Scope, receive: Receive, send: Send) -> None:
        received = 0
        started = False

        async def receive_within_limit() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > self.max_bytes:
                    raise HTTPException(413, self.detail)
            return message

        async def send_noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive_within_limit, send_noting_start)
        except HTTPException as error:  # met outside the app's handlers (a middleware read it)
            if started or error.status_code != 413:
                raise
            await problem(413, self.detail)(scope, receive, send)


def _framing(headers: list[tuple[bytes, bytes]]) -> tuple[int | None, bool]:
    """The declared Content-Length, and whether the body must be counted as it arrives
    (Transfer-Encoding, or a Content-Length that is not a number)."""
    length: int | None = None
    streamed = False
    for name, value in headers:
        if name == b"content-length":
            try:
                length = int(value)
            except ValueError:
                streamed = True
        elif name == b"transfer-encoding":
            streamed = True
    return length, streamed
