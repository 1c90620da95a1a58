"""The HTTP side of tenants: which tenant a request is for, read from the one source
TENANT_FROM names (a header, a /t/{tenant} path prefix, or the caller's API key).

Nothing is refused here: a request for a route bound to a fixed database needs no
tenant, so the tenant-selected database refuses what it cannot serve (app.tenancy).
"""

from __future__ import annotations

from collections.abc import Callable, Collection
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app import tenancy
from app.api.auth import KEY_TENANT
from app.api.openapi import problem_response
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
    """/t/{tenant}/rest is routed as /rest, and a Location it answers is given the
    prefix back, so that it points at the tenant's resource."""
    root = scope.get("root_path", "")
    path = scope["path"].removeprefix(root) if root else scope["path"]
    missing = f"prefix the path with {PATH_PREFIX}{{tenant}}"
    if not path.startswith(PATH_PREFIX):
        return RequestTenant(None, "the path", missing), scope, send
    value, _, rest = path.removeprefix(PATH_PREFIX).partition("/")
    prefix = PATH_PREFIX + value
    # raw_path, which would still hold the prefix, is left out: it is optional in ASGI.
    stripped = {key: item for key, item in scope.items() if key != "raw_path"}
    stripped["path"] = f"{root}/{rest}"
    if not TENANT_NAME.fullmatch(value):  # refused where it is used; never echoed in a header
        return RequestTenant(value, "the path", missing), stripped, send

    async def send_inside(message: Message) -> None:
        if message["type"] == "http.response.start":
            headers = MutableHeaders(scope=message)
            location = headers.get("location")
            if location is not None and location.startswith("/"):
                headers["location"] = prefix + location
        await send(message)

    return RequestTenant(value, "the path", missing), stripped, send_inside


def _from_api_key(scope: Scope) -> RequestTenant:
    return RequestTenant(
        scope.get(KEY_TENANT), "your API key", "use an API key that carries one (API_KEYS: <key>@<tenant>)"
    )


def document_tenants(
    selected: Collection[str], source: TenantSource, header: str
) -> Callable[[dict[str, Any]], None]:
    """An amendment of the OpenAPI document: the operations under the paths `selected`
    (those of tenant-selected resources) say where their tenant is read from, and that
    a missing tenant is a 400 and an unknown one a 404."""
    parameter = {
        "schema": {"type": "string", "pattern": f"^{TENANT_NAME.pattern}$"},
        "required": True,
        "description": "The tenant whose database serves the request: one of TENANTS.",
    }

    def amend(schema: dict[str, Any]) -> None:
        paths = schema.get("paths", {})
        for path in [path for path in paths if _under(path, selected)]:
            operations = paths.pop(path) if source == "path" else paths[path]
            for operation in operations.values():
                if source == "header":
                    operation.setdefault("parameters", []).append(
                        {"name": header, "in": "header", **parameter}
                    )
                elif source == "path":
                    operation.setdefault("parameters", []).insert(
                        0, {"name": "tenant", "in": "path", **parameter}
                    )
                responses = operation.setdefault("responses", {})
                _also(responses, "400", "Bad Request", _missing(source, header))
                _also(responses, "404", "Not Found", "a tenant not in TENANTS")
            if source == "path":
                paths[PATH_PREFIX + "{tenant}" + path] = operations

    return amend


def _under(path: str, prefixes: Collection[str]) -> bool:
    return any(path == prefix or path.startswith(prefix + "/") for prefix in prefixes)


def _missing(source: TenantSource, header: str) -> str:
    return {
        "header": f"no {header} header, or a malformed one",
        "path": "a malformed tenant in the path",
        "api_key": "an API key that carries no tenant",
    }[source]


def _also(responses: dict[str, Any], status: str, title: str, cause: str) -> None:
    if status in responses:
        responses[status]["description"] += f"; or {cause}"
    else:
        responses[status] = problem_response(f"{title}: {cause}")
