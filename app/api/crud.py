"""create_standard_routes: the six CRUD routes of one resource, on its controller.

No `from __future__ import annotations` here: FastAPI reads the route signatures,
whose types are the resource's models, at run time (and mypy cannot check them).
"""

# mypy: disable-error-code="valid-type"

from collections.abc import Mapping
from typing import Annotated, Any
from uuid import UUID

from dependency_injector import providers
from fastapi import APIRouter, Query, Request, Response
from pydantic import BaseModel, create_model

from app.api.conditional import (
    IF_MATCH,
    IF_NONE_MATCH,
    etag,
    if_match_versions,
    if_none_match_tags,
    not_modified,
    refuse_unmodified_since,
)
from app.api.encoding import Encoder, JSONBody
from app.api.expanded import expanded_read_model
from app.api.expansion import expand, expand_failed_header
from app.api.operations import operation_docs
from app.api.prechecks import checked_first
from app.api.problems import problem_responses
from app.api.queries import expand_params_model, list_params_model
from app.api.strict import json_body, single_query_values
from app.controllers.base import BaseController
from app.models.base import example, examples_of
from app.models.resource import Resource

LOCATION = {"Location": {"description": "The path of the new resource", "schema": {"type": "string"}}}
ETAG = {"ETag": {"description": "The version of the resource, for If-Match", "schema": {"type": "string"}}}
PARTIAL = {
    "X-Partial-Results": {
        "description": "Sent only with allow_partial=true when shards were down: missing=<their names>",
        "schema": {"type": "string"},
    }
}
# The conditional headers are read in the routes and documented as their parameters; the
# checks that refuse a request first run before the route's parameters are read, and the
# route is then served without FastAPI's request handler (app/api/prechecks.py).
IF_MATCH_DOC = {"parameters": [IF_MATCH]}
IF_NONE_MATCH_DOC = {"parameters": [IF_NONE_MATCH]}


def page_model(read: type[BaseModel]) -> type[BaseModel]:
    return create_model(
        f"{read.__name__}Page",
        __config__=example({"items": examples_of(read), "total": 1, "limit": 20, "offset": 0}),
        items=(list[read], ...),
        total=(int, ...),
        limit=(int, ...),
        offset=(int, ...),
    )


def create_standard_routes(
    router: APIRouter,
    *,
    resource: Resource,
    controller: providers.Provider[Any],
    served: Mapping[str, Resource] | None = None,
    database: str | None = None,
) -> APIRouter:
    """Add POST, GET (list and one), PUT, PATCH and DELETE for `resource` to `router`
    (whose prefix is the resource's path), each served by a fresh controller from
    `controller`, a provider of the app's container (so its overrides apply). `served`
    holds the targets of its relations, by name; `database` is the name the controller is
    bound to, for the operations' descriptions."""

    def made() -> BaseController:
        # Called in the route rather than declared as a dependency: FastAPI would solve
        # it per request (bench/README.md, "Issue 11, the HTTP side").
        fresh: BaseController = controller()
        return fresh

    Create, Patch, Read = resource.create, resource.patch, resource.read
    ListParams, ExpandParams = list_params_model(resource), expand_params_model(resource)
    Expanded = expanded_read_model(resource, served or {})  # Read, plus each relation, present when expanded
    Page = page_model(Expanded)
    EXPAND_FAILED = expand_failed_header(resource)
    name = resource.name
    # The routes answer with the bytes these write; the response models only document them.
    encode, encode_read = Encoder(Expanded), Encoder(Read)
    docs = operation_docs(resource, database)

    @router.post(
        "",
        status_code=201,
        response_model=Read,
        responses={**problem_responses(409, 415, 422, 503), 201: {"headers": {**LOCATION, **ETAG}}},
        name=f"create_{name}",
        **docs["create"],
    )
    async def create(body: Create) -> Any:
        row = await made().create(body)
        headers = {"Location": f"{router.prefix}/{row['id']}", "ETag": etag(row)}
        return JSONBody(encode_read.one(row), 201, headers)

    checked_first(router.routes[-1], body=json_body)

    @router.get(
        "",
        response_model=Page,
        response_model_exclude_unset=bool(resource.relations),  # no relation fields unless expanded
        responses={**problem_responses(422, 503), 200: {"headers": {**PARTIAL, **EXPAND_FAILED}}},
        name=f"list_{name}",
        **docs["list"],
    )
    async def list_(params: Annotated[ListParams, Query()]) -> Any:
        page = await made().list(params)
        headers = {"X-Partial-Results": f"missing={','.join(page.missing)}"} if page.missing else {}
        await expand(resource, page.items, params, headers)
        body = encode.page(page.items, page.total, params.limit, params.offset)  # type: ignore[attr-defined]
        return JSONBody(body, 200, headers)

    checked_first(router.routes[-1], single_query_values)

    async def get_expanded(id: UUID, params: Annotated[ExpandParams, Query()], request: Request) -> Any:
        row = await made().get(id)
        # The ETag is the row's own version: an expanded answer, which embeds other rows, is always sent.
        tags = if_none_match_tags(request)
        if not getattr(params, "expand", None) and (unchanged := not_modified(tags, row)):
            return unchanged
        headers = {"ETag": etag(row)}
        await expand(resource, [row], params, headers)
        return JSONBody(encode.one(row), 200, headers)

    async def get(id: UUID, request: Request) -> Any:  # no query model to solve per request
        row = await made().get(id)
        tags = if_none_match_tags(request)
        return not_modified(tags, row) or JSONBody(encode.one(row), 200, {"ETag": etag(row)})

    router.get(
        "/{id}",
        response_model=Expanded,
        response_model_exclude_unset=bool(resource.relations),
        responses={
            **problem_responses(400, 404, 422, 503),
            200: {"headers": {**ETAG, **EXPAND_FAILED}},
            304: {"description": "Not Modified: the ETag is one of If-None-Match", "headers": ETAG},
        },
        name=f"get_{name}",
        **docs["get"],
        openapi_extra=IF_NONE_MATCH_DOC,
    )(get_expanded if resource.relations else get)
    checked_first(router.routes[-1], single_query_values, refuse_unmodified_since)

    @router.put(
        "/{id}",
        response_model=Read,
        responses={**problem_responses(400, 404, 409, 412, 415, 422, 503), 200: {"headers": ETAG}},
        name=f"replace_{name}",
        **docs["replace"],
        openapi_extra=IF_MATCH_DOC,
    )
    async def replace(id: UUID, body: Create, request: Request) -> Any:
        row = await made().replace(id, body, if_match_versions(request))
        return JSONBody(encode_read.one(row), 200, {"ETag": etag(row)})

    checked_first(router.routes[-1], refuse_unmodified_since, body=json_body)

    @router.patch(
        "/{id}",
        response_model=Read,
        responses={**problem_responses(400, 404, 409, 412, 415, 422, 503), 200: {"headers": ETAG}},
        name=f"update_{name}",
        **docs["update"],
        openapi_extra=IF_MATCH_DOC,
    )
    async def update(id: UUID, body: Patch, request: Request) -> Any:
        row = await made().update(id, body, if_match_versions(request))
        return JSONBody(encode_read.one(row), 200, {"ETag": etag(row)})

    checked_first(router.routes[-1], refuse_unmodified_since, body=json_body)

    @router.delete(
        "/{id}",
        status_code=204,
        response_class=Response,
        responses=problem_responses(400, 404, 412, 422, 503),
        name=f"delete_{name}",
        **docs["delete"],
        openapi_extra=IF_MATCH_DOC,
    )
    async def delete(id: UUID, request: Request) -> None:
        await made().delete(id, if_match_versions(request))

    checked_first(router.routes[-1], refuse_unmodified_since)

    return router
