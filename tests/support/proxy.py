"""A TCP proxy in front of a real database server, so that a test can take the
database down, bring it back, or make it hang, without touching the server."""

from __future__ import annotations

import asyncio
import contextlib

from tests.support.ports import free_port


class Proxy:
    """`down()` refuses connections, `hang()` accepts them and never answers, `up()`
    forwards them to the target."""

    def __init__(self, target_host: str, target_port: int) -> None:
        self.target = (target_host, target_port)
        self.port = free_port()
        self.mode = "down"
        self._server: asyncio.Server | None = None
        self._tasks: set[asyncio.Task[None]] = set()
        self._writers: set[asyncio.StreamWriter] = set()

    async def up(self) -> None:
        self.mode = "up"
        await self._listen()

    async def hang(self) -> None:
        self.mode = "hang"
        await self._listen()

    async def down(self) -> None:
        self.mode = "down"
        server, self._server = self._server, None
        if server is not None:
            server.close()
        # Before waiting for the server: it waits for its connections, and one held by
        # hang() ends only when its client gives up.
        for writer in list(self._writers):
            writer.transport.abort()
        self._writers.clear()
        if server is not None:
            await server.wait_closed()

    async def _listen(self) -> None:
        if self._server is None:
            self._server = await asyncio.start_server(self._handle, "127.0.0.1", self.port)

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self._writers.add(writer)
        if self.mode == "hang":
            await reader.read()  # hold the connection open and say nothing
            return
        try:
            upstream_reader, upstream_writer = await asyncio.open_connection(*self.target)
        except OSError:
            writer.transport.abort()
            return
        self._writers.add(upstream_writer)
        pipes = [
            asyncio.create_task(_pipe(reader, upstream_writer)),
            asyncio.create_task(_pipe(upstream_reader, writer)),
        ]
        for task in pipes:
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)

    async def close(self) -> None:
        await self.down()
        for task in list(self._tasks):
            task.cancel()


async def _pipe(reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
    with contextlib.suppress(OSError, asyncio.CancelledError):
        while data := await reader.read(65536):
            writer.write(data)
            await writer.drain()
    with contextlib.suppress(OSError):
        writer.close()
