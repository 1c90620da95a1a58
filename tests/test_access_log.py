"""The access log (app.access_log): one line per request, queued, and the queued lines
written together, LINES_AT_ONCE at a time or WRITTEN_WITHIN_SECONDS after the first; the
service's handler writes each line without a record, byte for byte what its format makes
of the line's record, redaction and escapes included."""

from __future__ import annotations

import asyncio
import io
import json
import logging
from collections.abc import Iterator
from contextlib import contextmanager

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.access_log import (
    ACCESS,
    LINES_AT_ONCE,
    WRITTEN_WITHIN_SECONDS,
    AccessLine,
    duration_text,
    write_access,
    write_queued,
)
from app.logs import ServiceAccessOnly, ServiceHandler, service_handler

SECRET = "Pa55-W0rd-Zq9xW-77"

# Text of every kind, the secret now and then: what a client or a configuration may send.
_text = st.one_of(
    st.text(st.characters(codec="utf-8"), max_size=12),
    st.sampled_from([SECRET, f"10.0.0.1:{SECRET}", 'odd "name"\n', "caf\u00e9\\", "\u2028"]),
)
_lines = st.builds(
    AccessLine,
    request_id=st.none() | st.from_regex(r"[A-Za-z0-9._:+/=-]{1,40}", fullmatch=True),
    client=st.none() | _text,
    method=_text,
    route=st.none() | _text,
    status=st.integers(100, 599),
    databases=st.lists(_text, max_size=3).map(lambda names: tuple(sorted(names))),
    duration_ms=st.none() | st.integers(0, 10**7).map(lambda hundredths: duration_text(hundredths / 100_000)),
    created=st.floats(1e9, 4e9),
    message=st.none() | _text,
)


@settings(max_examples=400, deadline=None)
@given(
    line=_lines,
    log_format=st.sampled_from(["text", "json"]),
    with_pid=st.booleans(),
    redacted=st.booleans(),
)
def test_a_line_written_directly_is_the_one_its_record_makes(
    line: AccessLine, log_format: str, with_pid: bool, redacted: bool
) -> None:
    secrets = [SECRET] if redacted else []
    direct, via_record = io.StringIO(), io.StringIO()
    handler = service_handler(secrets, log_format, direct, with_pid)  # type: ignore[arg-type]
    assert isinstance(handler, ServiceHandler)
    handler.write_access_lines([line])
    service_handler(secrets, log_format, via_record, with_pid).handle(line.record())  # type: ignore[arg-type]
    assert direct.getvalue() == via_record.getvalue()
    if redacted:
        assert SECRET not in direct.getvalue()
    if log_format == "json":
        written = json.loads(direct.getvalue())
        assert written["request_id"] == line.request_id
        assert written["status"] == line.status


def test_the_duration_is_written_as_json_writes_the_float() -> None:
    """duration_text makes from integers what repr makes of the float, for every duration to
    0.01 ms below 10,000 s."""
    for hundredths in range(1_000_000):
        seconds = hundredths / 100_000
        assert duration_text(seconds) == repr(round(seconds * 100_000) / 100), seconds


class Writes(io.StringIO):
    """A stream that keeps each write apart."""

    def __init__(self) -> None:
        super().__init__()
        self.writes: list[str] = []

    def write(self, text: str) -> int:
        self.writes.append(text)
        return super().write(text)


@contextmanager
def access_log_to(*handlers: logging.Handler) -> Iterator[None]:
    """ACCESS at INFO, to `handlers` alone, as app.logs.configure_logging sets it up."""
    saved = (ACCESS.handlers[:], ACCESS.level, ACCESS.propagate, ACCESS.filters[:], ACCESS.disabled)
    ACCESS.handlers[:] = handlers
    ACCESS.setLevel(logging.INFO)
    ACCESS.propagate = False
    ACCESS.filters[:] = [ServiceAccessOnly()]
    ACCESS.disabled = False
    try:
        yield
    finally:
        ACCESS.handlers[:], level, ACCESS.propagate, ACCESS.filters[:], ACCESS.disabled = saved
        ACCESS.setLevel(level)


def _line(number: int, client: str = "127.0.0.1:5") -> AccessLine:
    return AccessLine(
        f"id-{number}", client, "GET", "/products/{id}", 200, ("products_db",), "0.34", 1_764_500_000.5
    )


async def _written_in_time() -> None:
    """Until the queued lines are due, and a turn of the event loop more."""
    await asyncio.sleep(WRITTEN_WITHIN_SECONDS * 1.5)


async def test_lines_are_written_together_soon_after_the_first() -> None:
    stream = Writes()
    with access_log_to(service_handler([], "json", stream)):
        for number in range(3):
            write_access(_line(number))
            await asyncio.sleep(0)
        assert stream.writes == []  # not yet due
        await _written_in_time()
    assert len(stream.writes) == 1
    written = [json.loads(text)["request_id"] for text in stream.writes[0].splitlines()]
    assert written == ["id-0", "id-1", "id-2"]


async def test_a_full_batch_is_written_at_once() -> None:
    stream = Writes()
    with access_log_to(service_handler([], "json", stream)):
        for number in range(LINES_AT_ONCE):
            write_access(_line(number))
        assert len(stream.writes) == 1
        assert len(stream.writes[0].splitlines()) == LINES_AT_ONCE
        write_access(_line(LINES_AT_ONCE))
        assert len(stream.writes) == 1
        await _written_in_time()
    assert len(stream.writes) == 2


async def test_a_line_logged_after_an_access_line_is_written_after_it() -> None:
    stream = Writes()
    handler = service_handler([], "text", stream)
    other = logging.getLogger("multidb.test.access_order")
    other.addHandler(handler)
    other.propagate = False
    try:
        with access_log_to(handler):
            write_access(_line(1))
            other.warning("after the request")
            write_access(_line(2))
            await _written_in_time()
    finally:
        other.removeHandler(handler)
        other.propagate = True
    lines = stream.getvalue().splitlines()
    assert [line.rsplit(" ", 1)[-1] if "request_id=" in line else "warning" for line in lines] == [
        "request_id=id-1",
        "warning",
        "request_id=id-2",
    ]


def test_outside_a_running_event_loop_a_line_is_written_at_once() -> None:
    stream = Writes()
    with access_log_to(service_handler([], "json", stream)):
        write_access(_line(1))
        assert len(stream.writes) == 1


def test_no_write_carries_more_than_pipe_buf_and_each_ends_a_line() -> None:
    """Lines of several workers on one pipe never mix: a write of at most PIPE_BUF bytes is
    not split. Clients of every length, some not ASCII (more bytes than characters)."""
    stream = Writes()
    clients = [f"10.0.{number}.1:{'é' * (number % 7) * 40}" for number in range(200)]
    handler = service_handler([], "json", stream)
    assert isinstance(handler, ServiceHandler)
    with access_log_to(handler):
        for number in range(0, len(clients), 40):
            handler.write_access_lines([_line(number, client) for client in clients[number : number + 40]])
    assert len(stream.writes) > 1
    assert all(len(text.encode()) <= 4096 and text.endswith("\n") for text in stream.writes)
    written = "".join(stream.writes).splitlines()
    assert [json.loads(line)["client"] for line in written] == clients


async def test_another_handler_gets_a_record_of_each_line_and_every_handler_does_under_a_filter() -> None:
    ours, theirs = Writes(), io.StringIO()
    plain = logging.StreamHandler(theirs)
    plain.setFormatter(logging.Formatter("%(name)s %(request_id)s %(message)s"))
    with access_log_to(service_handler([], "text", ours), plain):
        write_access(_line(1))
        await _written_in_time()
        message = '127.0.0.1:5 - "GET /products/{id}" 200 in 0.34 ms on products_db'
        assert theirs.getvalue() == f"uvicorn.access id-1 {message}\n"
        ACCESS.addFilter(lambda record: True)  # any filter but the service's own
        write_access(_line(2))
        await _written_in_time()
    assert ours.getvalue().count("request_id=") == 2
    assert theirs.getvalue().count("uvicorn.access") == 2


async def test_flush_writes_the_lines_still_queued() -> None:
    """As logging.shutdown does at exit."""
    stream = Writes()
    handler = service_handler([], "json", stream)
    with access_log_to(handler):
        write_access(_line(1))
        handler.flush()
        assert len(stream.writes) == 1


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_a_line_with_a_secret_is_redacted_and_one_without_is_as_it_came(log_format: str) -> None:
    stream = Writes()
    with access_log_to(service_handler([SECRET], log_format, stream)):  # type: ignore[arg-type]
        write_access(_line(1, f"127.0.0.1:{SECRET}"))
        write_access(_line(2))
        write_queued()
    first, second = stream.getvalue().splitlines()
    assert SECRET not in first
    assert "127.0.0.1:***" in first
    assert "127.0.0.1:5 - " in second
