from __future__ import annotations

from pydantic import Field
from sqlalchemy import Column

from app.models import columns as sql
from app.models.base import RECORD_EXAMPLE, Record, Writable, example
from app.models.resource import Resource
from app.models.table import resource_table
from app.models.types import Email


class UserBase(Writable):
    email: Email
    name: str = Field(min_length=1, max_length=100)


USER_EXAMPLE = {"email": "ada@example.com", "name": "Ada Lovelace"}


class UserCreate(UserBase):
    model_config = example(USER_EXAMPLE)


class User(UserBase, Record):
    model_config = example({**RECORD_EXAMPLE, **USER_EXAMPLE})


users_table = resource_table(
    "users",
    Column("email", sql.Text(320), nullable=False, unique=True),
    Column("name", sql.Text(100), nullable=False, index=True),
)

USERS = Resource(name="users", table=users_table, create=UserCreate, read=User, filterable=("email", "name"))
