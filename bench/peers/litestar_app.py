"""Litestar + advanced-alchemy: a repository service per request through the SQLAlchemy
plugin, as advanced-alchemy's Litestar example shows
(https://github.com/litestar-org/advanced-alchemy, "Litestar").

    BENCH_DSN=... BENCH_POOL_SIZE=10 uvicorn --factory bench.peers.litestar_app:create_app
"""

from __future__ import annotations

import os
from datetime import datetime
from decimal import Decimal
from typing import Annotated
from uuid import UUID

from advanced_alchemy.extensions.litestar import (
    AsyncSessionConfig,
    EngineConfig,
    SQLAlchemyAsyncConfig,
    SQLAlchemyPlugin,
    base,
    filters,
    providers,
    repository,
    service,
)
from litestar import Controller, Litestar, get, patch, post
from litestar.params import Parameter
from sqlalchemy import BigInteger, Numeric, String
from sqlalchemy.orm import Mapped, mapped_column
from uuid_utils.compat import uuid7

from bench.peers.orm import UTCDateTime
from bench.peers.schemas import ProductIn, ProductPatch, ProductRead, database_url, utc_now


class ProductModel(base.DefaultBase):
    __tablename__ = "products"

    id: Mapped[UUID] = mapped_column(primary_key=True, default=uuid7)
    sku: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    price: Mapped[Decimal] = mapped_column(Numeric(12, 2))
    stock: Mapped[int] = mapped_column(BigInteger, default=0)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime, default=utc_now, onupdate=utc_now)
    # The repository's update copies values onto the loaded row: `version` is set on insert
    # and not kept up on PATCH (an ORM version counter would fail concurrent PATCHes).
    version: Mapped[int] = mapped_column(BigInteger, default=1)


class ProductService(service.SQLAlchemyAsyncRepositoryService[ProductModel]):
    class Repo(repository.SQLAlchemyAsyncRepository[ProductModel]):
        model_type = ProductModel

    repository_type = Repo


class ProductController(Controller):
    path = "/products"
    dependencies = providers.create_service_dependencies(ProductService, "products")

    @post()
    async def create(self, products: ProductService, data: ProductIn) -> ProductRead:
        product = await products.create(data.model_dump(), auto_commit=True)
        return products.to_schema(product, schema_type=ProductRead)

    @get()
    async def list_(
        self,
        products: ProductService,
        limit: Annotated[int, Parameter(ge=1, le=100)] = 20,
        offset: Annotated[int, Parameter(ge=0)] = 0,
    ) -> service.OffsetPagination[ProductRead]:
        page = filters.LimitOffset(limit, offset)
        order = [filters.OrderBy("created_at", "asc"), filters.OrderBy("id", "asc")]
        results, total = await products.list_and_count(page, *order)
        return products.to_schema(results, total, filters=[page], schema_type=ProductRead)

    @get("/{id:uuid}")
    async def get(self, products: ProductService, id: UUID) -> ProductRead:
        return products.to_schema(await products.get(id), schema_type=ProductRead)

    @patch("/{id:uuid}")
    async def update(self, products: ProductService, id: UUID, data: ProductPatch) -> ProductRead:
        product = await products.update(data.model_dump(exclude_unset=True), item_id=id, auto_commit=True)
        return products.to_schema(product, schema_type=ProductRead)


@get("/health")
async def health() -> dict[str, str]:
    return {"status": "ok"}


def create_app() -> Litestar:
    size = int(os.environ.get("BENCH_POOL_SIZE", "10"))
    config = SQLAlchemyAsyncConfig(
        connection_string=database_url(),
        session_config=AsyncSessionConfig(expire_on_commit=False),
        engine_config=EngineConfig(pool_size=size, max_overflow=0),
        before_send_handler="autocommit",
        create_all=False,
    )
    return Litestar(route_handlers=[ProductController, health], plugins=[SQLAlchemyPlugin(config=config)])
