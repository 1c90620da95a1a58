from __future__ import annotations

from app.controllers.base import BaseController
from app.models import USERS


class UserController(BaseController):
    resource = USERS
