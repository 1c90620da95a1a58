"""The HTTP side of tenants: which tenant a request is for, read from the one source
TENANT_FROM names (a header, a /t/{tenant} path prefix, or the caller's API key).

Nothing is refused here: a request for a route bound to a fixed database needs no
tenant, so the tenant-selected database refuses what it cannot serve (app.tenancy).
"""

from __future__ import annotations

from starlette._utils import get_route_path
from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import tenancy
from app.api.auth import KEY_TENANT
from app.tenancy import RequestTenant
from settings.composites import TENANT_NAME, TenantSource

PATH_PREFIX = "/t/"


class TenantMiddleware:
    def __init__(self, app: ASGIApp, source: TenantSource, header: str) -> None:
        self.app = app
        self.source = source
        self.header = header

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        if self.source == "path":
            tenant, scope, send = _by_path(scope, send)
        elif self.source == "header":
            tenant = self._from_header(scope)
        else:
            tenant = _from_api_key(scope)
        started = tenancy.begin(tenant)
        try:
            await self.app(scope, receive, send)
        finally:
            tenancy.end(started)

    def _from_header(self, scope: Scope) -> RequestTenant:
        values = Headers(scope=scope).getlist(self.header)
        # Two headers make one malformed value: neither is taken over the other.
        value = ",".join(values) if values else None
        return RequestTenant(value, f"the {self.header} header", f"send the {self.header} header")


def _by_path(scope: Scope, send: Send) -> tuple[RequestTenant, Scope, Send]:
    """/t/{tenant}/rest is routed as /rest, mounted at /t/{tenant} the way Starlette
    mounts an app (root_path), and a Location it answers points back inside the prefix."""
    path = get_route_path(scope)
    missing = f"prefix the path with {PATH_PREFIX}{{tenant}}"
    if not path.startswith(PATH_PREFIX):
        return RequestTenant(None, "the path", missing), scope, send
    value = path.removeprefix(PATH_PREFIX).partition("/")[0]
    prefix = PATH_PREFIX + value
    mounted = {**scope, "root_path": scope.get("root_path", "") + prefix}
    if not TENANT_NAME.fullmatch(value):  # refused where it is used; never echoed in a header
        return RequestTenant(value, "the path", missing), mounted, send

    async def send_inside(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            location = headers.get("location")
            if location is not None and location.startswith("/"):
                headers["location"] = prefix + location
        await send(message)

    return RequestTenant(value, "the path", missing), mounted, send_inside


def _from_api_key(scope: Scope) -> RequestTenant:
    return RequestTenant(
        scope.get(KEY_TENANT), "your API key", "use an API key that carries one (API_KEYS: <key>@<tenant>)"
    )
