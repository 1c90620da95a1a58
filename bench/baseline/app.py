"""The routes every baseline serves, on whichever store it is given.

The JSON is built by hand, field by field, in the order and format the service answers
with, so that a response of the baseline and one of the service are byte-for-byte equal.
"""

from __future__ import annotations

import json
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from typing import Annotated, Any, Protocol
from uuid import UUID

from fastapi import FastAPI, Query, Request, Response
from uuid_utils.compat import uuid7

from bench.baseline.models import ProductIn, ProductPatch

Row = dict[str, Any]


class Conflict(Exception):
    pass


class Store(Protocol):
    async def get(self, id: UUID) -> Row | None: ...
    async def page(self, limit: int, offset: int) -> tuple[list[Row], int]: ...
    async def insert(self, row: Row) -> None: ...
    async def update(self, id: UUID, changes: Row) -> Row | None: ...
    async def close(self) -> None: ...


def now() -> datetime:
    stamp = datetime.now(UTC)
    return stamp.replace(microsecond=stamp.microsecond // 1000 * 1000)


def iso(stamp: datetime) -> str:
    # As the service writes a time: UTC, all three decimals, and "Z".
    return stamp.replace(tzinfo=None).isoformat(timespec="milliseconds") + "Z"


def product(row: Row) -> Row:
    return {
        "id": str(row["id"]),
        "created_at": iso(row["created_at"]),
        "updated_at": iso(row["updated_at"]),
        "sku": row["sku"],
        "name": row["name"],
        "price": str(row["price"]),
        "stock": row["stock"],
    }


def answer(body: Any, status: int = 200, headers: dict[str, str] | None = None) -> Response:
    content = json.dumps(body, ensure_ascii=False, separators=(",", ":"))
    return Response(content, status_code=status, headers=headers, media_type="application/json")


def problem(status: int, title: str, detail: str) -> Response:
    body = {"type": "about:blank", "title": title, "status": status, "detail": detail}
    return Response(json.dumps(body), status_code=status, media_type="application/problem+json")


def not_found(id: UUID) -> Response:
    return problem(404, "Not Found", f"no products with id {id}")


def create_app(open_store: Callable[[], Awaitable[Store]]) -> FastAPI:
    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        app.state.store = await open_store()
        try:
            yield
        finally:
            await app.state.store.close()

    app = FastAPI(title="multidb baseline", lifespan=lifespan)

    @app.get("/health")
    async def health() -> Response:
        return answer({"status": "ok"})

    @app.post("/products", status_code=201)
    async def create(body: ProductIn, request: Request) -> Response:
        stamp = now()
        row = {"id": uuid7(), **body.model_dump(), "created_at": stamp, "updated_at": stamp}
        try:
            await request.app.state.store.insert(row)
        except Conflict:
            return problem(409, "Conflict", "a products row with the same sku already exists")
        return answer(product(row), 201, {"Location": f"/products/{row['id']}"})

    @app.get("/products")
    async def list_(
        request: Request,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> Response:
        rows, total = await request.app.state.store.page(limit, offset)
        return answer(
            {"items": [product(row) for row in rows], "total": total, "limit": limit, "offset": offset}
        )

    @app.get("/products/{id}")
    async def get(id: UUID, request: Request) -> Response:
        row = await request.app.state.store.get(id)
        return not_found(id) if row is None else answer(product(row))

    @app.patch("/products/{id}")
    async def update(id: UUID, body: ProductPatch, request: Request) -> Response:
        changes = body.model_dump(exclude_unset=True)
        if any(value is None for value in changes.values()):
            return problem(422, "Unprocessable Content", "a field that cannot be null was sent as null")
        try:
            row = await request.app.state.store.update(id, {**changes, "updated_at": now()})
        except Conflict:
            return problem(409, "Conflict", "a products row with the same sku already exists")
        return not_found(id) if row is None else answer(product(row))

    return app
