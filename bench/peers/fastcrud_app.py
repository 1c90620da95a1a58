"""FastAPI + FastCRUD: a `FastCRUD(Product)` used in the app's own endpoints, as FastCRUD's
README shows (https://github.com/benavlabs/fastcrud), on a session per request.

    BENCH_DSN=... BENCH_POOL_SIZE=10 uvicorn --factory bench.peers.fastcrud_app:create_app
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Query
from fastcrud import FastCRUD
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.peers.orm import Product
from bench.peers.schemas import ProductIn, ProductPatch, ProductRead, database_url


def create_app() -> FastAPI:
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    engine = create_async_engine(database_url(), pool_size=size, max_overflow=0)
    sessions = async_sessionmaker(engine, expire_on_commit=False)
    products: Any = FastCRUD(Product)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    Session = Annotated[AsyncSession, Depends(get_session)]  # noqa: N806
    app = FastAPI(title="FastAPI + FastCRUD", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/products", status_code=201, response_model=ProductRead)
    async def create(body: ProductIn, db: Session) -> Any:
        return await products.create(db, body, schema_to_select=ProductRead, return_as_model=True)

    @app.get("/products")
    async def list_(
        db: Session,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        page = await products.get_multi(
            db,
            offset=offset,
            limit=limit,
            sort_columns=["created_at", "id"],
            schema_to_select=ProductRead,
            return_as_model=True,
        )
        return {"items": page["data"], "total": page["total_count"], "limit": limit, "offset": offset}

    @app.get("/products/{id}", response_model=ProductRead)
    async def get(id: UUID, db: Session) -> Any:
        product = await products.get(db, id=id, schema_to_select=ProductRead, return_as_model=True)
        if product is None:
            raise HTTPException(404, "Product not found")
        return product

    @app.patch("/products/{id}", response_model=ProductRead)
    async def update(id: UUID, body: ProductPatch, db: Session) -> Any:
        # FastCRUD updates with one UPDATE statement, and sets updated_at itself.
        changes = {**body.model_dump(exclude_unset=True), "version": Product.version + 1}
        product = await products.update(
            db, changes, id=id, schema_to_select=ProductRead, return_as_model=True
        )
        if product is None:
            raise HTTPException(404, "Product not found")
        return product

    return app
