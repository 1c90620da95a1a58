from __future__ import annotations

from app.controllers.base import BaseController
from app.models import EVENTS


class EventController(BaseController):
    resource = EVENTS
