from __future__ import annotations

from pydantic import Field
from sqlalchemy import BigInteger, Column

from app.models import columns as sql
from app.models.base import RECORD_EXAMPLE, Record, Writable, example
from app.models.resource import Resource
from app.models.table import resource_table
from app.models.types import Count, Money


class ProductBase(Writable):
    sku: str = Field(min_length=1, max_length=64)
    name: str = Field(min_length=1, max_length=200)
    price: Money = Field(description='Exact, at most 2 decimal places; a string such as "19.99" on output.')
    stock: Count = 0


PRODUCT_EXAMPLE = {"sku": "KB-ERGO-01", "name": "Ergonomic keyboard", "price": "89.90", "stock": 42}


class ProductCreate(ProductBase):
    model_config = example(PRODUCT_EXAMPLE)


class Product(ProductBase, Record):
    model_config = example({**RECORD_EXAMPLE, **PRODUCT_EXAMPLE})


products_table = resource_table(
    "products",
    Column("sku", sql.Text(64), nullable=False, unique=True),
    Column("name", sql.Text(200), nullable=False, index=True),
    Column("price", sql.Money, nullable=False),
    Column("stock", BigInteger, nullable=False),
)

PRODUCTS = Resource(
    name="products",
    table=products_table,
    create=ProductCreate,
    read=Product,
    filterable=("sku", "name"),
)
