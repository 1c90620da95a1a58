"""The HTTP side of read-your-writes: X-Consistency-Token (and a cookie of the same
value) in, X-Consistency-Token out after a write; X-Read-From: primary to skip replicas."""

from __future__ import annotations

from http.cookies import SimpleCookie

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.consistency import ReadConsistency, begin, decode, end
from settings import Settings

TOKEN_HEADER = "X-Consistency-Token"
TOKEN_COOKIE = "consistency_token"
READ_FROM_HEADER = "X-Read-From"


def tokens_needed(settings: Settings) -> bool:
    """Whether a token can mean anything: some database reads from replicas (READ_REPLICAS)
    or is MongoDB (causal sessions). Without one, no adapter records a position, no token is
    sent and none is read, so the middleware is left out and costs nothing."""
    configs = settings.database_configs().values()
    return any(config.READ_REPLICAS or config.DB_TYPE == "mongodb" for config in configs)


class ConsistencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = headers.get(TOKEN_HEADER) or _cookie(headers.get("cookie"))
        consistency = ReadConsistency(
            seen=decode(token), primary_only=headers.get(READ_FROM_HEADER, "").lower() == "primary"
        )
        started = begin(consistency)

        async def send_with_token(message: Message) -> None:
            if message["type"] == "http.response.start" and consistency.written and consistency.seen:
                outgoing = MutableHeaders(scope=message)
                value = consistency.token()
                outgoing[TOKEN_HEADER] = value
                outgoing.append("set-cookie", f"{TOKEN_COOKIE}={value}; Path=/; HttpOnly; SameSite=Lax")
            await send(message)

        try:
            await self.app(scope, receive, send_with_token)
        finally:
            end(started)


def _cookie(header: str | None) -> str | None:
    if not header:
        return None
    try:
        morsel = SimpleCookie(header).get(TOKEN_COOKIE)
    except Exception:  # a malformed Cookie header is the client's; ignore it
        return None
    return morsel.value if morsel is not None else None
