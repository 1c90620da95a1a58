from __future__ import annotations

from app.controllers.base import BaseController
from app.models import PRODUCTS


class ProductController(BaseController):
    resource = PRODUCTS
