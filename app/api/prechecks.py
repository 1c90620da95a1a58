"""A CRUD route served without FastAPI's request handler: its refusals first, then its
parameters validated by the route's own fields, then its function.

FastAPI's handler is built for every kind of route (dependencies with yield, forms,
streams, background tasks, a temporary Response, the body read and parsed again) and
costs per request what a CRUD route never needs (bench/README.md, "Issue 11: what moved
which figure"). Here the route's path parameters, its one query model and its one body
model are validated by the very fields FastAPI built from the route's signature (so the
errors and the OpenAPI document are FastAPI's), in FastAPI's order, and the route's
function gets them by name. A route of another shape keeps FastAPI's handler, and so
does a request whose body FastAPI refuses itself (app.api.strict.json_body).
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable
from typing import Any

from fastapi._compat import field_annotation_is_sequence
from fastapi.dependencies.models import Dependant
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import BaseRoute
from starlette.types import Receive, Scope, Send

from app.api.strict import query_params

Check = Callable[[Scope], None]
# Reads the body: answers it parsed (None when the route is to read it), what the route
# reads it from, and whether FastAPI refuses the body itself before anything else.
BodyCheck = Callable[[Scope, Receive], Awaitable[tuple[Any, Receive, bool]]]


def checked_first(route: BaseRoute, *checks: Check, body: BodyCheck | None = None) -> None:
    """Run the `body` check, then `checks`, in order, before `route` handles a request
    (the order FastAPI ran them in as dependencies); each refuses by raising the HTTP error
    the app's handlers turn into problem+json. The route is then served directly when
    its shape allows (`_served_directly`)."""
    assert isinstance(route, APIRoute)
    fastapi_handler = route.app
    # A body is served directly only as the body check parsed it.
    direct = _served_directly(route) if body is not None or route.body_field is None else None

    async def app(scope: Scope, receive: Receive, send: Send) -> None:
        parsed = None
        if body is not None:
            parsed, receive, refused_by_route = await body(scope, receive)
            if refused_by_route:
                await fastapi_handler(scope, receive, send)
                return
        for check in checks:
            check(scope)
        if direct is None or (body is not None and parsed is None):
            await fastapi_handler(scope, receive, send)
            return
        await direct(scope, receive, send, parsed)

    route.app = app


Direct = Callable[[Scope, Receive, Send, Any], Awaitable[None]]


def _served_directly(route: APIRoute) -> Direct | None:
    """The route's handler without FastAPI's, for a route whose parameters are path
    parameters, at most one query model, at most one body model and the Request, and
    whose function answers a Response (or None for a 204); else None."""
    dependant = route.dependant
    if not inspect.iscoroutinefunction(dependant.call):
        return None
    if not _plain(dependant) or len(dependant.query_params) > 1 or len(dependant.body_params) > 1:
        return None
    query = dependant.query_params[0] if dependant.query_params else None
    if query is not None and not _scalar_model(query.field_info.annotation):
        return None
    paths = [(field.name, field.alias, field) for field in dependant.path_params]
    body_field = route.body_field
    if body_field is not None and route._embed_body_fields:
        return None
    request_name = dependant.request_param_name
    empty = 204 if route.status_code == 204 else None

    async def app(scope: Scope, receive: Receive, send: Send, parsed: Any) -> None:
        values: dict[str, Any] = {}
        errors: list[Any] = []
        path_params = scope["path_params"]
        for name, alias, field in paths:
            value, found = field.validate(path_params[alias], loc=("path", alias))
            errors += found
            values[name] = value
        if query is not None:
            value, found = query.validate(dict(query_params(scope)), loc=("query",))
            errors += found
            values[query.name] = value
        if body_field is not None:
            value, found = body_field.validate(parsed, loc=("body",))
            errors += found
            values[body_field.name] = value
        if errors:
            raise RequestValidationError(errors, body=parsed)
        if request_name is not None:
            values[request_name] = Request(scope, receive, send)
        response = await dependant.call(**values)  # type: ignore[misc]
        if response is None and empty is not None:
            response = Response(status_code=empty)
        if not isinstance(response, Response):
            raise TypeError(f"{route.name} answered {type(response).__name__}, not a Response")
        await response(scope, receive, send)

    return app


def _plain(dependant: Dependant) -> bool:
    """Nothing FastAPI would have to solve but the parameters served directly."""
    return not (
        dependant.dependencies
        or dependant.header_params
        or dependant.cookie_params
        or dependant.websocket_param_name
        or dependant.http_connection_param_name
        or dependant.response_param_name
        or dependant.background_tasks_param_name
        or dependant.security_scopes_param_name
    )


def _scalar_model(annotation: Any) -> bool:
    """A query model whose fields each take one value: FastAPI reads such a model from
    the query string as the string of each name, by the name (app.api.strict.single_query_values
    refuses a name given twice)."""
    fields = getattr(annotation, "model_fields", None)
    return fields is not None and not any(
        field_annotation_is_sequence(info.annotation) or info.alias or info.validation_alias
        for info in fields.values()
    )
