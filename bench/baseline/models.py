"""The input rules of the service's products, written out once more by hand."""

from __future__ import annotations

from decimal import Decimal
from typing import Annotated

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

CENT = Decimal("0.01")

Sku = Annotated[str, Field(min_length=1, max_length=64)]
Name = Annotated[str, Field(min_length=1, max_length=200)]
Price = Annotated[
    Decimal,
    Field(ge=0, max_digits=12, decimal_places=2, allow_inf_nan=False),
    AfterValidator(lambda value: value.quantize(CENT)),
]
Stock = Annotated[int, Field(ge=0, le=2**63 - 1)]


class ProductIn(BaseModel):
    model_config = ConfigDict(extra="forbid")

    sku: Sku
    name: Name
    price: Price
    stock: Stock = 0


class ProductPatch(BaseModel):
    """Every field optional; an explicit null is refused by the route."""

    model_config = ConfigDict(extra="forbid")

    sku: Sku | None = None
    name: Name | None = None
    price: Price | None = None
    stock: Stock | None = None
