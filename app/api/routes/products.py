from __future__ import annotations

from fastapi import APIRouter

from app.api.crud import create_standard_routes
from app.models import PRODUCTS
from containers import Container

router = APIRouter(prefix="/products", tags=["products"])
create_standard_routes(router, resource=PRODUCTS, controller=Container.products)
