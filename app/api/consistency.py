"""The HTTP side of read-your-writes: X-Consistency-Token (and a cookie of the same
value) in, X-Consistency-Token out after a write; X-Read-From: primary to skip replicas."""

from __future__ import annotations

import logging
import time
from collections import OrderedDict

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.consistency import ReadConsistency, begin, end, parse
from settings import Settings

TOKEN_HEADER = "X-Consistency-Token"
TOKEN_COOKIE = "consistency_token"
READ_FROM_HEADER = "X-Read-From"
LOG_INTERVAL = 60.0  # seconds between two log lines about one client's damaged tokens
_REMEMBERED_CLIENTS = 4096  # the oldest are forgotten first: the memory stays bounded

logger = logging.getLogger("multidb.consistency")


class OncePerClient:
    """Whether to log about a client now: at most once per `interval` for each client
    address, remembering at most `size` of them."""

    def __init__(self, interval: float = LOG_INTERVAL, size: int = _REMEMBERED_CLIENTS) -> None:
        self.interval = interval
        self.size = size
        self._last: OrderedDict[str, float] = OrderedDict()

    def __call__(self, client: str) -> bool:
        now = time.monotonic()
        last = self._last.get(client)
        if last is not None and now - last < self.interval:
            return False
        self._last[client] = now
        self._last.move_to_end(client)
        while len(self._last) > self.size:
            self._last.popitem(last=False)
        return True


def tokens_needed(settings: Settings) -> bool:
    """Whether a token can mean anything: some database reads from replicas (READ_REPLICAS)
    or is MongoDB (causal sessions). Without one, no adapter records a position, no token is
    sent and none is read, so the middleware is left out and costs nothing."""
    configs = settings.database_configs().values()
    return any(config.READ_REPLICAS or config.DB_TYPE == "mongodb" for config in configs)


class ConsistencyMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app
        self._log_now = OncePerClient()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        token = headers.get(TOKEN_HEADER) or _cookie(headers.get("cookie"))
        seen = parse(token) if token else {}
        if seen is None:  # not one of ours: ignored, and this client reads from the primary
            self._damaged(scope)
        consistency = ReadConsistency(
            seen=seen or {},
            primary_only=seen is None or headers.get(READ_FROM_HEADER, "").lower() == "primary",
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

    def _damaged(self, scope: Scope) -> None:
        client = scope.get("client")
        address = str(client[0]) if client else "unknown"
        if self._log_now(address):
            logger.warning(
                "ignored a %s that is not one of ours from %s: its reads go to the primary "
                "(logged once a minute per client)",
                TOKEN_HEADER,
                address,
            )


def _cookie(header: str | None) -> str | None:
    """The token cookie's value. Split by hand, in one linear pass: http.cookies'
    patterns are slow on some hostile headers, and only this one name matters here."""
    if not header:
        return None
    for pair in header.split(";"):
        name, equals, value = pair.partition("=")
        if equals and name.strip() == TOKEN_COOKIE:
            return value.strip().strip('"')
    return None
