"""A path with a trailing slash that only exists without it (/users/) is redirected there
with a relative Location. Starlette's own redirect writes an absolute URL from the Host
header, so a forged Host (evil.example) would be sent back as where to go."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import RedirectResponse, Response
from starlette.routing import Match


def slash_redirect(request: Request) -> Response | None:
    """The redirect for a path that did not match, or None when there is none."""
    path: str = request.scope["path"]
    if request.scope["type"] != "http" or path == "/" or not path.endswith("/"):
        return None
    stripped = {**request.scope, "path": path.rstrip("/") or "/"}
    if not any(route.matches(stripped)[0] != Match.NONE for route in request.app.router.routes):
        return None
    # The path alone: a Location starting with one "/" names this server, whatever the Host.
    location = request.scope.get("root_path", "") + stripped["path"]
    if request.url.query:
        location += "?" + request.url.query
    return RedirectResponse(location, status_code=307)
