"""python -m bench.observability_micro: what the request id layer and one access line cost
per request, each alone around an ASGI app that answers at once, in µs per call (the
minimum and the median of 7 rounds of 20,000 calls, alternated). Floors: a request's own
work is the rest (bench/README.md)."""

from __future__ import annotations

import asyncio
import logging
import os
import time
from collections.abc import Awaitable, Callable
from statistics import median
from typing import TextIO

from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.api.request_ids import RequestIdMiddleware
from app.logs import service_handler

SCOPE: Scope = {
    "type": "http",
    "method": "GET",
    "path": "/products/1",
    "headers": [(b"host", b"127.0.0.1"), (b"user-agent", b"wrk"), (b"accept", b"*/*")],
    "client": ("127.0.0.1", 40000),
}


async def answer(scope: Scope, receive: Receive, send: Send) -> None:
    await send(
        {"type": "http.response.start", "status": 200, "headers": [(b"content-type", b"application/json")]}
    )
    await send({"type": "http.response.body", "body": b"{}"})


async def _sent(message: Message) -> None:
    return None


async def _received() -> Message:
    return {"type": "http.request", "body": b""}


async def per_call(app: ASGIApp, calls: int = 20_000) -> float:
    started = time.perf_counter()
    for _ in range(calls):
        await app(dict(SCOPE), _received, _sent)
    return (time.perf_counter() - started) / calls * 1e6


def uvicorns_line() -> None:
    """The access line uvicorn's protocol writes, as before this service wrote its own."""
    logging.getLogger("uvicorn.access").info(
        '%s - "%s %s HTTP/%s" %d', "127.0.0.1:40000", "GET", "/products/1", "1.1", 200
    )


async def main(sink: TextIO) -> None:
    with_ids = RequestIdMiddleware(answer)
    root = logging.getLogger()

    async def logged(app: ASGIApp, log_format: str, extra: Callable[[], None] | None = None) -> float:
        handler = service_handler(["a-password-0123", "an-api-key-4567"], log_format, sink)  # type: ignore[arg-type]
        root.addHandler(handler)
        root.setLevel(logging.INFO)
        logging.getLogger("uvicorn.access").filters.clear()
        try:
            if extra is None:
                return await per_call(app)

            async def both(scope: Scope, receive: Receive, send: Send) -> None:
                await app(scope, receive, send)
                extra()

            return await per_call(both)
        finally:
            root.removeHandler(handler)
            root.setLevel(logging.WARNING)

    logging.logProcesses = logging.logThreads = logging.logMultiprocessing = False
    cases: dict[str, Callable[[], Awaitable[float]]] = {
        "an app that answers at once": lambda: per_call(answer),
        "+ the request id layer (LOG_LEVEL=WARNING: no line)": lambda: per_call(with_ids),
        "+ the id layer and its access line, LOG_FORMAT=text": lambda: logged(with_ids, "text"),
        "+ the id layer and its access line, LOG_FORMAT=json": lambda: logged(with_ids, "json"),
        "before: uvicorn's own access line (text), no id layer": lambda: logged(
            answer, "text", uvicorns_line
        ),
    }
    timings: dict[str, list[float]] = {name: [] for name in cases}
    for _ in range(7):
        for name, case in cases.items():
            timings[name].append(await case())
    print("| case | µs per call, min | median |\n|---|---:|---:|")
    for name, found in timings.items():
        print(f"| {name} | {min(found):.1f} | {median(found):.1f} |")


if __name__ == "__main__":
    with open(os.devnull, "w") as devnull:
        asyncio.run(main(devnull))
