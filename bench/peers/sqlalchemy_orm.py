"""FastAPI + SQLAlchemy 2 async ORM, a session per request: the FastAPI tutorial's way
(https://fastapi.tiangolo.com/tutorial/sql-databases/), with SQLAlchemy's AsyncSession.

    BENCH_DSN=postgresql://postgres@127.0.0.1:5432/multidb_bench BENCH_POOL_SIZE=10 \
        uvicorn --factory bench.peers.sqlalchemy_orm:create_app
"""

import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Annotated, Any
from uuid import UUID

from fastapi import Depends, FastAPI, HTTPException, Query
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession, async_sessionmaker, create_async_engine

from bench.peers.orm import Product
from bench.peers.schemas import ProductIn, ProductPatch, ProductRead, database_url


def create_app() -> FastAPI:
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    engine = create_async_engine(database_url(), pool_size=size, max_overflow=0)
    sessions = async_sessionmaker(engine, expire_on_commit=False)

    @asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        yield
        await engine.dispose()

    async def get_session() -> AsyncIterator[AsyncSession]:
        async with sessions() as session:
            yield session

    SessionDep = Annotated[AsyncSession, Depends(get_session)]  # noqa: N806
    app = FastAPI(title="FastAPI + SQLAlchemy ORM", lifespan=lifespan)

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    @app.post("/products", status_code=201, response_model=ProductRead)
    async def create(body: ProductIn, session: SessionDep) -> Any:
        product = Product(**body.model_dump())
        session.add(product)
        await session.commit()
        await session.refresh(product)
        return product

    @app.get("/products")
    async def list_(
        session: SessionDep,
        limit: Annotated[int, Query(ge=1, le=100)] = 20,
        offset: Annotated[int, Query(ge=0)] = 0,
    ) -> dict[str, Any]:
        page = select(Product).order_by(Product.created_at, Product.id).offset(offset).limit(limit)
        products = (await session.scalars(page)).all()
        total = await session.scalar(select(func.count()).select_from(Product))
        items = [ProductRead.model_validate(product) for product in products]
        return {"items": items, "total": total, "limit": limit, "offset": offset}

    @app.get("/products/{id}", response_model=ProductRead)
    async def get(id: UUID, session: SessionDep) -> Any:
        product = await session.get(Product, id)
        if product is None:
            raise HTTPException(404, "Product not found")
        return product

    @app.patch("/products/{id}", response_model=ProductRead)
    async def update(id: UUID, body: ProductPatch, session: SessionDep) -> Any:
        product = await session.get(Product, id)
        if product is None:
            raise HTTPException(404, "Product not found")
        for field, value in body.model_dump(exclude_unset=True).items():
            setattr(product, field, value)
        product.version = Product.version + 1  # computed in the UPDATE
        session.add(product)
        await session.commit()
        await session.refresh(product)
        return product

    return app
