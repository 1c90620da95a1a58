"""A request is matched against the routes its path's first segment can reach, not all of them.

The router tries its routes in turn, a regex each: `GET /products/{id}` came after the docs,
the status page, /health and the other resources' routes, about twenty matches per request.
Here each literal first segment (`products`, `health`) has a copy of the router that holds
only the routes a path starting with it can match, in the router's order, so the router's
own loop, 405 and 404 run on a few routes and answer as the whole router would. Within a
segment, a request's method puts first the routes that can serve it, in the router's order,
then the others, in the router's order: the first full match is the router's (only a route
that serves the method matches fully), and so is the first partial one (only the others
match partially), so the 405 is the router's too; `PATCH /products/{id}` is matched
against one route, not five. A path whose first segment no route names goes through the
whole router. The table follows the router's routes: it is built again when their number
changes (a router included after the app was made)."""

from __future__ import annotations

import copy
from collections.abc import Sequence

from starlette._utils import get_route_path
from starlette.routing import BaseRoute, Mount, Route, Router
from starlette.types import ASGIApp, Receive, Scope, Send


def first_segment(route: BaseRoute) -> str | None:
    """The literal first segment every path `route` matches starts with, or None when it
    can match paths that start otherwise (a parameter there, a root mount, a host, an
    included router)."""
    if not isinstance(route, Route | Mount) or not route.path.startswith("/"):
        return None
    segment = route.path[1:].partition("/")[0]
    if "{" in segment or (isinstance(route, Mount) and not segment):
        return None
    return segment


class SegmentDispatch:
    """In the router's place (its `middleware_stack`): each HTTP request goes to the copy
    of the router for its first segment."""

    def __init__(self, router: Router) -> None:
        self.router = router
        self.whole: ASGIApp = router.app
        self.by_segment: dict[tuple[str, str | None], ASGIApp] = {}
        self.built_for = -1

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] == "http":
            routes = self.router.routes
            if len(routes) != self.built_for:
                self.by_segment = self._by_segment(routes)
                self.built_for = len(routes)
            segment = get_route_path(scope)[1:].partition("/")[0]
            by_segment = self.by_segment
            narrow = by_segment.get((segment, scope["method"])) or by_segment.get((segment, None))
            if narrow is not None:
                # The app's router, not the copy, is the one url_for and the handlers see.
                scope.setdefault("router", self.router)
                await narrow(scope, receive, send)
                return
        await self.whole(scope, receive, send)

    def _by_segment(self, routes: Sequence[BaseRoute]) -> dict[tuple[str, str | None], ASGIApp]:
        """A router copy for each segment and method a route names, and for each segment
        and any other method (None: its routes in the router's order)."""
        segments = {segment for route in routes if (segment := first_segment(route)) is not None}
        methods = {method for route in routes for method in getattr(route, "methods", None) or ()}
        narrow: dict[tuple[str, str | None], ASGIApp] = {}
        for segment in segments:
            reachable = [route for route in routes if first_segment(route) in (segment, None)]
            narrow[segment, None] = self._copy(reachable)
            for method in methods:
                serving = [route for route in reachable if _may_serve(route, method)]
                others = [route for route in reachable if not _may_serve(route, method)]
                narrow[segment, method] = self._copy(serving + others)
        return narrow

    def _copy(self, routes: list[BaseRoute]) -> ASGIApp:
        router = copy.copy(self.router)
        router.routes = routes
        return router.app


def _may_serve(route: BaseRoute, method: str) -> bool:
    """Whether `route` can match a request of `method` fully: a route without a method
    list (a mount) matches any."""
    methods = getattr(route, "methods", None)
    return methods is None or method in methods


def dispatch_by_first_segment(router: Router) -> None:
    """Put the dispatch in front of `router`'s own matching; the router must have no
    middleware of its own (it would be skipped)."""
    if router.middleware_stack != router.app:
        raise ValueError("the router has middleware of its own: dispatching would skip it")
    router.middleware_stack = SegmentDispatch(router)
