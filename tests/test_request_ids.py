"""X-Request-ID: taken from the request when well formed, else made (a UUIDv7) and never
echoed; on every answer, in every problem+json body, and on every log line written while
the request is served, the adapters' included."""

from __future__ import annotations

import io
import json
import logging
import re
import uuid
from collections.abc import AsyncIterator, Callable, Iterator
from contextlib import asynccontextmanager, contextmanager

import httpx
import pytest
from fastapi import APIRouter

from app.logs import service_handler
from app.main import create_app
from containers import Container
from tests.support.ports import free_port
from tests.support.service import container, settings

KEY = "full-key-0123456789abcdef"
READ_ONLY_KEY = "read-only-key-0123456789"
FULL = {"Authorization": f"Bearer {KEY}"}
PRODUCT = {"sku": "k", "name": "K", "price": "1"}
SECRET = "Pa55-W0rd-Zq9xW-77"
STARTS_A_LINE = re.compile(r"\d{4}-\d\d-\d\d \d\d:\d\d:\d\d,\d{3} [A-Z]+ ")

boom = APIRouter()


@boom.get("/boom")
async def _boom() -> None:
    raise RuntimeError(f"a bug, with {SECRET} in its words")


def _down_products(**values: str) -> Container:
    """The primary in memory; products_db a PostgreSQL server where nothing listens (down)."""
    config = settings(
        DB_TYPE="memory",
        DATABASES={
            "products_db": {
                "DB_TYPE": "postgres",
                "DB_HOST": "127.0.0.1",
                "DB_PORT": free_port(),
                "DB_USER": "app",
                "DB_PASSWORD": SECRET,
                "DB_NAME": "products",
                "CONNECT_TIMEOUT": 1,
            },
            "users_db": {"DB_TYPE": "memory"},
        },
        MAX_BODY_BYTES=6000,
        **values,
    )
    return container(config)


@asynccontextmanager
async def serving(service_container: Container) -> AsyncIterator[httpx.AsyncClient]:
    """The app, started as uvicorn starts it; a bug answers 500 as it does under uvicorn."""
    app = create_app(service_container)
    app.include_router(boom)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app, raise_app_exceptions=False)
        async with httpx.AsyncClient(transport=transport, base_url="http://multidb.test") as client:
            yield client


def made(value: str) -> uuid.UUID:
    """`value` as the UUIDv7 the service made; fails on anything else."""
    made = uuid.UUID(value)
    assert made.version == 7, value
    assert str(made) == value
    return made


@pytest.mark.parametrize(
    "sent",
    [
        b"",
        b"x" * 129,
        b"has space",
        b'quote"d',
        b"<script>",
        b"tab\there",
        b"caf\xc3\xa9",
        b"semi;colon",
        b"ends-with-newline\\n",
    ],
)
async def test_a_malformed_id_is_replaced_by_a_uuid7_never_echoed(sent: bytes) -> None:
    async with serving(_down_products()) as client:
        response = await client.get("/nowhere", headers=[(b"x-request-id", sent)])
    made(response.headers["x-request-id"])
    assert response.json()["request_id"] == response.headers["x-request-id"]
    if sent:
        assert sent.decode("latin-1") not in response.text
        assert all(sent.decode("latin-1") not in value for value in response.headers.values())


@pytest.mark.parametrize(
    "sent", ["abc", "x" * 128, "0193a5b2-7c4e-7d1a-9f3b-5e2c8a1d4f60", "A-Z_a.z:0+9/=", "7"]
)
async def test_a_well_formed_id_is_kept(sent: str) -> None:
    async with serving(_down_products()) as client:
        found = await client.get("/nowhere", headers={"X-Request-ID": sent})
        ok = await client.get("/health", headers={"X-Request-ID": sent})
    assert found.headers["x-request-id"] == sent
    assert found.json()["request_id"] == sent
    assert ok.headers["x-request-id"] == sent


async def test_every_answer_carries_an_id_and_every_problem_the_same_one() -> None:
    """Each status the service answers with, refusals before the routes and a bug included."""
    async with serving(_down_products(API_KEYS=f"{KEY},ro:{READ_ONLY_KEY}")) as client:
        created = await client.post("/users", json={"email": "a@example.com", "name": "A"}, headers=FULL)
        answers = {
            201: created,
            200: await client.get(f"/users/{created.json()['id']}", headers=FULL),
            204: await client.options("/users", headers=FULL),
            400: await client.post(
                "/users", content=b"[" * 5000, headers={**FULL, "content-type": "application/json"}
            ),
            401: await client.get("/users"),
            403: await client.post(
                "/users",
                json={"email": "b@example.com", "name": "B"},
                headers={"Authorization": f"Bearer {READ_ONLY_KEY}"},
            ),
            404: await client.get("/nowhere", headers=FULL),
            405: await client.delete("/users", headers=FULL),
            413: await client.post(
                "/users", content=b" " * 7000, headers={**FULL, "content-type": "application/json"}
            ),
            415: await client.post("/users", content=b"{}", headers={**FULL, "content-type": "text/plain"}),
            422: await client.get("/users/not-a-uuid", headers=FULL),
            500: await client.get("/boom", headers=FULL),
            503: await client.post("/products", json=PRODUCT, headers=FULL),
        }
        head = await client.head(f"/users/{created.json()['id']}", headers=FULL)
    assert {status: answer.status_code for status, answer in answers.items()} == {s: s for s in answers}
    ids = [made(answer.headers["x-request-id"]) for answer in [*answers.values(), head]]
    assert len(set(ids)) == len(ids)  # one per request
    for status, answer in answers.items():
        if status >= 400:
            assert answer.headers["content-type"] == "application/problem+json", status
            assert answer.json()["request_id"] == answer.headers["x-request-id"], status
    assert SECRET not in answers[500].text


@contextmanager
def captured(log_format: str) -> Iterator[Callable[[], str]]:
    """What the service's own handler has written (secrets redacted, ids stamped), at DEBUG:
    a call that writes the access lines still queued first (app.access_log)."""
    stream = io.StringIO()
    handler = service_handler([SECRET], log_format, stream)  # type: ignore[arg-type]

    def written() -> str:
        handler.flush()
        return stream.getvalue()

    root = logging.getLogger()
    level = root.level
    root.addHandler(handler)
    root.setLevel(logging.DEBUG)
    quiet = [logging.getLogger(name) for name in ("httpx", "httpcore", "asyncio")]
    for logger in quiet:  # the test's own client, which logs after the answer
        logger.disabled = True
    try:
        yield written
    finally:
        handler.flush()  # no line of this test's left for the next handler
        root.removeHandler(handler)
        root.setLevel(level)
        for logger in quiet:
            logger.disabled = False


def _ids(lines: list[str], log_format: str) -> list[str | None]:
    if log_format == "json":
        return [json.loads(line)["request_id"] for line in lines]
    return [line.rsplit(" request_id=", 1)[1] if " request_id=" in line else None for line in lines]


@pytest.mark.parametrize("log_format", ["text", "json"])
async def test_every_line_written_while_serving_a_request_carries_its_id(log_format: str) -> None:
    async with serving(_down_products()) as client:
        with captured(log_format) as log:
            written: dict[str, list[str]] = {}
            for request_id, method, path in [
                ("down-1", "POST", "/products"),  # the adapter's line about the database
                ("down-2", "GET", "/products?limit=1"),
                ("bug-1", "GET", "/boom"),  # the traceback of a 500
                ("fine-1", "POST", "/users"),
            ]:
                before = len(log())
                body = PRODUCT if path == "/products" else {"email": "c@example.com", "name": "C"}
                await client.request(method, path, headers={"X-Request-ID": request_id}, json=body)
                written[request_id] = log()[before:].splitlines()
    lines = {request_id: [line for line in found if line.strip()] for request_id, found in written.items()}
    for request_id, found in lines.items():
        # One JSON object a line, tracebacks inside; in text, a traceback follows its line.
        records = found if log_format == "json" else [line for line in found if STARTS_A_LINE.match(line)]
        assert len(records) >= 1, request_id
        assert set(_ids(records, log_format)) == {request_id}, found
    text = {request_id: "\n".join(found) for request_id, found in lines.items()}
    assert "database products_db" in text["down-1"]
    assert "unavailable" in text["down-1"]
    assert "unexpected error on GET /boom" in text["bug-1"]
    assert "RuntimeError" in text["bug-1"]
    assert SECRET not in "\n".join(text.values())
    assert "***" in text["bug-1"]
    for request_id in text:
        assert "uvicorn.access" in text[request_id]  # the access line is the request's too


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_both_formats_redact_secrets_the_same_way(log_format: str) -> None:
    stream = io.StringIO()
    handler = service_handler([SECRET, "short"], log_format, stream)  # type: ignore[arg-type]
    logger = logging.getLogger("multidb.test.redaction")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        logger.warning("connect to postgresql://app:%s@db/x failed (%s)", SECRET, "short")
        try:
            raise ValueError(f'password "{SECRET}" refused')
        except ValueError:
            logger.exception("driver said %r", {"password": SECRET})
    finally:
        logger.removeHandler(handler)
        logger.propagate = True
    output = stream.getvalue()
    assert SECRET not in output
    assert "short" not in output
    assert output.count("***") >= 4
    if log_format == "json":
        first, second = (json.loads(line) for line in output.splitlines() if line.startswith("{"))
        assert first["message"] == "connect to postgresql://app:***@db/x failed (***)"
        assert first["level"] == "WARNING"
        assert first["logger"] == "multidb.test.redaction"
        assert first["request_id"] is None
        assert first["time"].endswith("+00:00")
        assert 'password "***" refused' in second["exception"]
