"""Slow and oversized clients, against the real `python -m app`: headers that never end,
heads and bodies that stall, idle connections, more connections than allowed. The
service closes each within its limits and keeps answering everybody else."""

from __future__ import annotations

import asyncio
import contextlib
import json
import re
from collections.abc import AsyncIterator
from pathlib import Path

import httpx
import pytest

from tests.support.process import Service, service_environment

HEADER_MB = 20
CHUNK = b"a" * 65_536
POLL = 0.1
GIVE_UP = 30.0  # seconds: a bounded wait, far above every timeout set here


def rss_kb(pid: int) -> int:
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        if line.startswith("VmRSS:"):
            return int(line.split()[1])
    raise AssertionError("no VmRSS")


@contextlib.asynccontextmanager
async def service(tmp_path: Path, **settings: str) -> AsyncIterator[Service]:
    running = Service(service_environment(DB_TYPE="memory", **settings), tmp_path)
    try:
        await running.wait_until_serving()
        yield running
    finally:
        await running.stop()


async def connect(port: int) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    return await asyncio.open_connection("127.0.0.1", port)


async def answer_and_close(reader: asyncio.StreamReader) -> bytes:
    """What the server sends until it closes the connection (bounded in time)."""
    received = b""
    async with asyncio.timeout(GIVE_UP):
        while chunk := await reader.read(65_536):
            received += chunk
    return received


def status_of(answer: bytes) -> int | None:
    return int(answer.split(b" ", 2)[1]) if answer.startswith(b"HTTP/1.1 ") else None


async def never_ending_header(port: int) -> tuple[int, bytes]:
    """Send up to HEADER_MB of one header line that never ends; the bytes sent, and
    what came back."""
    reader, writer = await connect(port)
    sent = 0
    try:
        writer.write(b"GET /health HTTP/1.1\r\nHost: a\r\nX-Long: ")
        while sent < HEADER_MB * 1_048_576:
            writer.write(CHUNK)
            await writer.drain()
            sent += len(CHUNK)
    except (ConnectionResetError, BrokenPipeError):
        pass
    try:
        answer = await answer_and_close(reader)
    except ConnectionError:  # reset, or the broken pipe of the last write, reported here
        answer = b""
    writer.close()
    return sent, answer


async def test_headers_that_never_end_are_cut_off_without_growing_memory(tmp_path: Path) -> None:
    async with service(tmp_path) as running, httpx.AsyncClient(base_url=running.base_url) as client:
        for _ in range(20):  # warm: the first answers allocate what every later one reuses
            await client.get("/health")
        before = rss_kb(running.process.pid)
        results = await asyncio.gather(*(never_ending_header(running.port) for _ in range(10)))
        after = rss_kb(running.process.pid)
        assert (await client.get("/health")).status_code == 200

        many = "".join(f"X-H{i}: v\r\n" for i in range(101)).encode()
        reader, writer = await connect(running.port)
        secret = b"Authorization: Bearer not-to-be-logged-7f3a\r\n"
        writer.write(
            b"GET /health?key=not-to-be-logged-7f3a HTTP/1.1\r\nHost: a\r\n" + secret + many + b"\r\n"
        )
        too_many = await answer_and_close(reader)
        writer.close()
    log = running.log.read_text()

    grown_mb = (after - before) / 1024
    sent_mb = [round(sent / 1_048_576, 1) for sent, _ in results]
    print(
        f"reliability figures: 10 never-ending headers, each cut after {min(sent_mb)}-{max(sent_mb)} MB "
        f"sent; service RSS {before // 1024} -> {after // 1024} MB (+{grown_mb:.1f} MB)"
    )
    assert grown_mb < 20
    for sent, answer in results:
        assert sent < HEADER_MB * 1_048_576, "the service read a 20 MB header to its end"
        # 431, or only the close: the client, still sending, gets a reset before it reads.
        assert status_of(answer) in (431, None)
    assert status_of(too_many) == 431
    assert b"application/problem+json" in too_many
    assert b"more than 100 header lines" in too_many
    head, _, body = too_many.partition(b"\r\n\r\n")
    (request_id,) = re.findall(
        rb"\r\nx-request-id: ([0-9a-f-]{36})\r\n", head
    )  # refused before the app: one all the same
    assert json.loads(body)["request_id"] == request_id.decode()
    # Logged like every other answer, one line each, with no header or query in it.
    refused_line = '- "- /health" 431 (the request has more than 100 header lines)'
    assert f"{refused_line} request_id={request_id.decode()}" in log, log[-3000:]
    assert log.count(" 431 (the request's head is over 32768 bytes)") == 10, log[-3000:]
    assert "not-to-be-logged" not in log


async def stalled(port: int, kind: str) -> tuple[asyncio.StreamReader, asyncio.StreamWriter]:
    reader, writer = await connect(port)
    if kind == "head":
        writer.write(b"GET /health HTTP/1.1\r\nHost: a\r\nX-Half: ")
    elif kind == "body":
        writer.write(
            b"POST /events HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
            b"Content-Length: 1000\r\n\r\n{"
        )
    await writer.drain()
    return reader, writer


async def trickle(port: int) -> bytes:
    """A body sent one byte every 0.2 s: slower than the body timeout allows."""
    reader, writer = await connect(port)
    body = json.dumps({"type": "slow", "properties": {"pad": "x" * 40}}).encode()
    writer.write(
        b"POST /events HTTP/1.1\r\nHost: a\r\nContent-Type: application/json\r\n"
        + f"Content-Length: {len(body)}\r\n\r\n".encode()
    )
    answer = b""
    for byte in body:
        writer.write(bytes([byte]))
        await writer.drain()
        with contextlib.suppress(TimeoutError):  # wait 0.2 s, unless the service answers
            answer = await asyncio.wait_for(reader.read(65_536), 0.2)
            break
    answer += await answer_and_close(reader)
    writer.close()
    return answer


async def test_stalled_connections_are_closed_within_the_timeouts_and_others_are_served(
    tmp_path: Path,
) -> None:
    limits = {"HTTP_HEADER_TIMEOUT": "2", "HTTP_BODY_TIMEOUT": "2", "HTTP_KEEP_ALIVE_TIMEOUT": "1"}
    async with service(tmp_path, **limits) as running:
        loop = asyncio.get_running_loop()
        started = loop.time()
        connections = [await stalled(running.port, kind) for kind in ("head", "body", "silent", "head") * 50]
        slow = asyncio.create_task(trickle(running.port))
        # Meanwhile everybody else is served, on new connections and on a kept-alive one.
        async with httpx.AsyncClient(base_url=running.base_url, timeout=5) as client:
            for _ in range(10):
                assert (await client.get("/health")).status_code == 200
                assert (await client.post("/events", json={"type": "served"})).status_code == 201
                await asyncio.sleep(0.1)
        answers = await asyncio.gather(*(answer_and_close(reader) for reader, _ in connections))
        closed_after = loop.time() - started
        slow_answer = await slow

        reader, writer = await connect(running.port)  # kept alive, then idle
        writer.write(b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
        idle_answer = await answer_and_close(reader)
        for _, stalled_writer in connections:
            stalled_writer.close()
        writer.close()
    log = running.log.read_text()

    statuses = [status_of(answer) for answer in answers]
    print(
        f"reliability figures: 200 stalled connections (100 half heads, 50 half bodies, 50 silent) "
        f"all closed {closed_after:.1f} s after they opened (timeouts 2 s); statuses "
        f"{sorted({str(s): statuses.count(s) for s in set(statuses)}.items())}"
    )
    assert len(answers) == 200  # each read ended: the service closed every one
    assert statuses.count(408) == 150  # the half heads and half bodies: told why
    assert statuses.count(None) == 50  # the silent ones: closed without a word
    assert status_of(slow_answer) == 408
    assert b"body did not arrive within 2.0 s" in slow_answer
    assert status_of(idle_answer) == 200  # answered, then closed once idle
    assert log.count(" 408 (the request's head did not arrive within 2.0 s)") == 100, log[-3000:]
    assert log.count('"POST /events" 408 (the request\'s body did not arrive within 2.0 s)') == 51, log[
        -3000:
    ]


async def test_connections_over_the_limit_answer_503_and_others_once_they_close(tmp_path: Path) -> None:
    async with service(tmp_path, HTTP_MAX_CONNECTIONS="20", HTTP_HEADER_TIMEOUT="3") as running:
        held = [await stalled(running.port, "head") for _ in range(25)]
        reader, writer = await connect(running.port)
        writer.write(b"GET /health HTTP/1.1\r\nHost: a\r\n\r\n")
        busy = await answer_and_close(reader)
        writer.close()
        for _, held_writer in held:
            held_writer.close()
        async with httpx.AsyncClient(base_url=running.base_url) as client:
            for _ in range(int(GIVE_UP / POLL)):  # the held ones are gone once the server sees them close
                if (await client.get("/health")).status_code == 200:
                    break
                await asyncio.sleep(POLL)
            served = await client.get("/health")

    assert status_of(busy) == 503
    assert b"application/problem+json" in busy
    assert b"retry-after: 1" in busy
    assert served.status_code == 200


async def test_no_banner_and_forwarded_headers_only_from_configured_proxies(tmp_path: Path) -> None:
    forged = {"X-Forwarded-For": "203.0.113.9", "X-Forwarded-Proto": "https"}
    # Each log is read once its service has stopped: an access line is written after its
    # answer is sent, so a log read at once may not hold it yet (and "not in" would pass
    # for that reason alone).
    async with service(tmp_path) as untrusted, httpx.AsyncClient(base_url=untrusted.base_url) as client:
        answer = await client.get("/health", headers=forged)
        redirect = await client.get("/users/?limit=1", headers={"Host": "evil.example", **forged})
    untrusted_log = untrusted.output()
    trusted_dir = tmp_path / "trusted"
    trusted_dir.mkdir()
    proxied = service(trusted_dir, FORWARDED_ALLOW_IPS="127.0.0.1")
    async with proxied as trusted, httpx.AsyncClient(base_url=trusted.base_url) as client:
        await client.get("/health", headers=forged)
    trusted_log = trusted.output()

    assert "server" not in answer.headers
    assert answer.headers["x-content-type-options"] == "nosniff"
    assert redirect.status_code == 307
    assert redirect.headers["location"] == "/users?limit=1"
    assert untrusted_log.count('"GET /health" 200') == 2  # the start's and the forged one's
    assert "203.0.113.9" not in untrusted_log
    assert "203.0.113.9" in trusted_log


@pytest.mark.parametrize(
    ("variable", "value"),
    [("DB_CONNECTION_STRING", "postgresql://u:secret-pw@host:notaport/db"), ("DB_PORT", "abc")],
)
async def test_a_malformed_setting_stops_the_start_with_one_line(
    tmp_path: Path, variable: str, value: str
) -> None:
    env = service_environment(DB_TYPE="postgres", DB_USER="u", DB_NAME="db", **{variable: value})
    running = Service(env, tmp_path)
    await asyncio.to_thread(running.process.wait, 60)
    output = running.output().strip()

    assert running.process.returncode != 0
    assert len(output.splitlines()) == 1, output
    assert output.startswith("multidb: invalid configuration:")
    assert variable in output
    assert "secret-pw" not in output


async def test_uvicorn_on_the_command_line_has_the_limits_with_the_protocol_and_warns_without(
    tmp_path: Path,
) -> None:
    env = service_environment(DB_TYPE="memory", HTTP_MAX_HEADERS="6")  # httpx's own send 5
    head = b"GET /health HTTP/1.1\r\nHost: a\r\nConnection: close\r\n"
    head += "".join(f"X-H{i}: v\r\n" for i in range(6)).encode() + b"\r\n"
    for options, limited in (
        (["--http", "app.api.server:LimitedHttpToolsProtocol"], True),
        ([], False),
    ):
        directory = tmp_path / ("limited" if limited else "plain")
        directory.mkdir()
        running = Service(env, directory, uvicorn=options)
        try:
            await running.wait_until_serving()
            reader, writer = await connect(running.port)
            writer.write(head)
            answer = await answer_and_close(reader)
            writer.close()
        finally:
            log = await running.stop()
        assert status_of(answer) == (431 if limited else 200), (options, answer)
        warned = "the HTTP limits (HTTP_MAX_HEADER_BYTES, HTTP_HEADER_TIMEOUT" in log
        assert warned is not limited, log
