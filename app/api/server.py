"""The HTTP server of `python -m app`: uvicorn on httptools, with limits on what one client
may cost. uvicorn alone caps neither the size nor the time of a request's head (httptools
buffers a header that never ends), nor the time a body may take; its keep-alive timeout
and concurrency limit are kept, set from the settings.

A request whose head is over HTTP_MAX_HEADER_BYTES or HTTP_MAX_HEADERS lines answers 431;
a head not complete within HTTP_HEADER_TIMEOUT, or a body not complete within
HTTP_BODY_TIMEOUT of its head, answers 408 (when no answer has started) and the
connection is closed. Nothing is buffered past the limit, plus one read.
"""

from __future__ import annotations

import asyncio
import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from http import HTTPStatus
from typing import Any

import httptools
import uvicorn
from uvicorn.protocols.http.httptools_impl import HttpToolsProtocol

from app.api.request_ids import log_refusal, new_request_id
from settings import Settings

logger = logging.getLogger("multidb")
# On a graceful shutdown, how long a connection accepted with no request yet is given to send one.
DRAIN_GRACE = 1.0


@dataclass(frozen=True)
class HttpLimits:
    max_header_bytes: int
    max_headers: int
    header_timeout: float
    body_timeout: float

    @classmethod
    def of(cls, settings: Settings) -> HttpLimits:
        return cls(
            max_header_bytes=settings.HTTP_MAX_HEADER_BYTES,
            max_headers=settings.HTTP_MAX_HEADERS,
            header_timeout=settings.HTTP_HEADER_TIMEOUT,
            body_timeout=settings.HTTP_BODY_TIMEOUT,
        )


@cache
def _from_environment() -> HttpLimits:
    """For a server that uvicorn's command line started with this protocol: the settings
    are read once, as the app read them."""
    return HttpLimits.of(Settings())


def warn_without_limits(argv: Sequence[str]) -> None:
    """The app served by another command than `python -m app`: the limits hold only where
    its command line names this protocol."""
    if not any(LimitedHttpToolsProtocol.__name__ in arg for arg in argv):
        logger.warning(
            "the HTTP limits (HTTP_MAX_HEADER_BYTES, HTTP_HEADER_TIMEOUT, HTTP_BODY_TIMEOUT, ...) are "
            "not active: start with `python -m app`, or give uvicorn "
            "`--http app.api.server:LimitedHttpToolsProtocol`"
        )


class _Refused(Exception):
    def __init__(self, status: int, detail: str) -> None:
        super().__init__(detail)
        self.status = status
        self.detail = detail


class LimitedHttpToolsProtocol(HttpToolsProtocol):
    """uvicorn's httptools protocol, with the limits of `config.http_limits`. A request
    whose head and body come in one read (nearly all) arms no timer at all."""

    def __init__(self, config: Any, server_state: Any, app_state: Any, _loop: Any = None) -> None:
        super().__init__(config, server_state, app_state, _loop)
        self.limits: HttpLimits = getattr(config, "http_limits", None) or _from_environment()
        self._in_head = True  # reading a request's head (or waiting for one)
        self._in_body = False
        self._head_bytes = 0  # bytes read since the head began
        self._header_lines = 0
        self._timer: asyncio.TimerHandle | None = None
        self._draining = False  # shutting down: the request now awaited is this connection's last
        # uvicorn's own check answers text/plain; this one answers problem+json.
        self._max_connections = self.limit_concurrency
        self.limit_concurrency = None
        # The access line is the application's (app.api.request_ids); this protocol writes
        # one only for the answers it gives itself, before the application (408, 431).
        self._log_refusals = self.access_log
        self.access_log = False

    # Connection
    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm(self.limits.header_timeout)  # a connection that never sends is closed too

    def connection_lost(self, exc: Exception | None) -> None:
        self._disarm()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        self._unset_keepalive_if_required()
        if self._in_head:
            self._head_bytes += len(data)
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserUpgrade:
            self._unsupported_upgrade_warning()  # no WebSocket route here
            return
        except httptools.HttpParserError as error:
            if isinstance(error.__context__, _Refused):
                self._refuse(error.__context__.status, error.__context__.detail)
            else:
                self.logger.warning("Invalid HTTP request received.")
                self.send_400_response("Invalid HTTP request received.")
            return
        if self._in_head and self._head_bytes > self.limits.max_header_bytes:
            self._refuse(431, f"the request's head is over {self.limits.max_header_bytes} bytes")
        elif self._timer is None and (self._in_body or (self._in_head and self._head_bytes)):
            # Part of a head or a body came, and the rest is awaited: a deadline for it.
            self._arm(self.limits.body_timeout if self._in_body else self.limits.header_timeout)

    # Parser callbacks
    def on_message_begin(self) -> None:
        super().on_message_begin()
        self._header_lines = 0

    def on_header(self, name: bytes, value: bytes) -> None:
        self._header_lines += 1
        if self._header_lines > self.limits.max_headers:
            raise _Refused(431, f"the request has more than {self.limits.max_headers} header lines")
        super().on_header(name, value)

    def on_headers_complete(self) -> None:
        self._in_head = False
        self._in_body = True
        self._head_bytes = 0
        self._disarm()
        if self._max_connections is not None and (
            len(self.connections) > self._max_connections or len(self.tasks) >= self._max_connections
        ):
            self.app, app = _busy, self.app  # this request only: the next one is served as usual
            try:
                super().on_headers_complete()
            finally:
                self.app = app
            return
        super().on_headers_complete()
        if self._draining and self.cycle is not None:
            self.cycle.keep_alive = False

    def on_message_complete(self) -> None:
        self._in_body = False
        self._in_head = True
        self._disarm()
        super().on_message_complete()

    def shutdown(self) -> None:
        """A graceful shutdown (SIGTERM, a worker replaced on SIGHUP). uvicorn closes every
        connection that is not answering a request; but one accepted moments ago has its first
        request on the way, and closing it would reset that client. It is served, as its
        connection's last, if its head starts within DRAIN_GRACE seconds."""
        if self.cycle is None and not self.transport.is_closing():
            self._draining = True
            if not self._head_bytes:
                self._arm(min(DRAIN_GRACE, self.limits.header_timeout))
            return
        super().shutdown()

    # Timers
    def _arm(self, delay: float) -> None:
        self._disarm()
        self._timer = self.loop.call_later(delay, self._timed_out)

    def _disarm(self) -> None:
        if self._timer is not None:
            self._timer.cancel()
            self._timer = None

    def _timed_out(self) -> None:
        self._timer = None
        if self.transport.is_closing():
            return
        if self._in_body and self.flow.read_paused:  # the application is not reading: not the client's fault
            self._arm(self.limits.body_timeout)
        elif self._in_body:
            if self.cycle is not None and not self.cycle.response_started:
                self._refuse(408, f"the request's body did not arrive within {self.limits.body_timeout} s")
            else:
                self.transport.close()
        elif self._head_bytes:
            self._refuse(408, f"the request's head did not arrive within {self.limits.header_timeout} s")
        else:  # nothing was sent: closed without a word
            self.transport.close()

    def _refuse(self, status: int, detail: str) -> None:
        """Answer `status` as problem+json and close, whatever the application was doing."""
        self._disarm()
        request_id = new_request_id()  # refused before reaching the application, which gives one
        self._log_refusal(status, detail, request_id)
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.disconnected = True  # anything the application sends now is dropped
            self.cycle.message_event.set()
        phrase = HTTPStatus(status).phrase
        body = json.dumps(
            {
                "type": "about:blank",
                "title": phrase,
                "status": status,
                "detail": detail,
                "request_id": request_id,
            }
        ).encode()
        head = (
            f"HTTP/1.1 {status} {phrase}\r\ncontent-type: application/problem+json\r\n"
            f"content-length: {len(body)}\r\nx-content-type-options: nosniff\r\n"
            f"x-request-id: {request_id}\r\nconnection: close\r\n\r\n"
        )
        self.transport.write(head.encode() + body)
        self.transport.close()

    def _log_refusal(self, status: int, detail: str, request_id: str) -> None:
        """One access line, like the application's, with why: the method and path when they
        came (no query, no header: nothing a client may have put a secret in)."""
        if not self._log_refusals:
            return
        scope = getattr(self, "scope", None)
        method = scope.get("method", "-") if scope is not None and self._in_body else "-"
        path = getattr(self, "url", b"").split(b"?", 1)[0][:200].decode("latin-1") or "-"
        client = f"{self.client[0]}:{self.client[1]}" if self.client else None
        log_refusal(client, method, path, status, detail, request_id)


async def _busy(scope: Any, receive: Any, send: Any) -> None:
    request_id = new_request_id()
    body = json.dumps(
        {
            "type": "about:blank",
            "title": "Service Unavailable",
            "status": 503,
            "detail": "the service has as many connections open as HTTP_MAX_CONNECTIONS allows; retry",
            "request_id": request_id,
        }
    ).encode()
    headers = [
        (b"content-type", b"application/problem+json"),
        (b"content-length", str(len(body)).encode()),
        (b"retry-after", b"1"),
        (b"x-content-type-options", b"nosniff"),
        (b"x-request-id", request_id.encode()),
        (b"connection", b"close"),
    ]
    await send({"type": "http.response.start", "status": 503, "headers": headers})
    await send({"type": "http.response.body", "body": body})


def server_config(app: Any, settings: Settings, **options: Any) -> uvicorn.Config:
    """uvicorn's configuration for the service, every limit from `settings`; `options`
    are uvicorn's own (workers=, factory=). Every worker gets this configuration, the
    limits of `http_limits` included."""
    config = uvicorn.Config(
        app,
        host=settings.HOST,
        port=settings.PORT,
        http=LimitedHttpToolsProtocol,
        ws="none",
        log_config=None,
        server_header=False,
        proxy_headers=bool(settings.FORWARDED_ALLOW_IPS),
        forwarded_allow_ips=list(settings.FORWARDED_ALLOW_IPS),
        limit_concurrency=settings.HTTP_MAX_CONNECTIONS,
        timeout_keep_alive=settings.HTTP_KEEP_ALIVE_TIMEOUT,
        **options,
    )
    config.http_limits = HttpLimits.of(settings)  # type: ignore[attr-defined]
    return config
