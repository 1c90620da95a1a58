"""The request's tenant, which chooses the database of every tenant-selected name.

The middleware (app/api/tenants.py) records what the request says and where it said
it; nothing is refused until a tenant-selected database is used, so the routes bound
to fixed databases serve requests that name no tenant.
"""

from __future__ import annotations

from collections.abc import Mapping
from contextvars import ContextVar, Token
from dataclasses import dataclass
from typing import TypeVar

from app.errors import TenantRequired, UnknownTenant
from settings.composites import TENANT_NAME, TENANT_NAME_RULE

T = TypeVar("T")


@dataclass(frozen=True)
class RequestTenant:
    value: str | None  # as the request gave it, unchecked; None when it gave none
    where: str  # where it is read from, for the client: "the X-Tenant header"
    missing: str  # what the client must do to name one

    def name(self) -> str:
        """The tenant's name, checked for form (not against TENANTS)."""
        if self.value is None:
            raise TenantRequired(f"no tenant: {self.missing}")
        if not TENANT_NAME.fullmatch(self.value):
            raise TenantRequired(f"the tenant in {self.where} is malformed: it must be {TENANT_NAME_RULE}")
        return self.value


NO_REQUEST = RequestTenant(None, "no request", "a tenant-selected database is only served within a request")
_current: ContextVar[RequestTenant] = ContextVar("request_tenant", default=NO_REQUEST)


def current() -> RequestTenant:
    return _current.get()


def begin(tenant: RequestTenant) -> Token[RequestTenant]:
    return _current.set(tenant)


def end(token: Token[RequestTenant]) -> None:
    _current.reset(token)


def of_tenant(choices: Mapping[str, T]) -> T:
    """The choice of the request's tenant; never another one, never a default."""
    request = current()
    tenant = request.name()
    try:
        return choices[tenant]
    except KeyError:
        raise UnknownTenant(f"unknown tenant {tenant!r} (from {request.where})") from None
