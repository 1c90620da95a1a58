from __future__ import annotations

from fastapi import APIRouter

from app.api.crud import create_standard_routes
from app.models import USERS
from containers import Container

router = APIRouter(prefix="/users", tags=["users"])
create_standard_routes(router, resource=USERS, controller=Container.users)
