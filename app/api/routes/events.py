from __future__ import annotations

from fastapi import APIRouter

from app.api.crud import create_standard_routes
from app.models import EVENTS
from containers import Container

router = APIRouter(prefix="/events", tags=["events"])
create_standard_routes(router, resource=EVENTS, controller=Container.events)
