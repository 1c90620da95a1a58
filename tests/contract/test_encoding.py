"""The routes write rows to JSON themselves (app/api/encoding.py), not through FastAPI's
response_model. Their bytes must be those FastAPI would have sent: the route's own
response model, validated from the stored row and serialized, on every backend."""

from __future__ import annotations

from typing import Any
from uuid import UUID

import httpx
from fastapi.routing import APIRoute, serialize_response
from fastapi.utils import create_model_field

from app.api.routes import routers
from containers.databases import bindings
from tests.contract.helpers import create, problem

# One body per resource, with what encoding could get wrong: non-ASCII text, a price
# without its cents, floats and nulls in free-form JSON, a time in another zone with
# sub-millisecond digits. A resource served without a sample here fails the test.
SAMPLES: dict[str, dict[str, Any]] = {
    "users": {"email": "Zoë@Example.COM", "name": 'Zoë "the" ü'},
    "products": {"sku": "enc-ü-1", "name": "Ünïcode ✓", "price": "19.9", "stock": 3},
    "events": {
        "type": "click",
        "properties": {"a": [1, 2.5, 1e-07, {"b": None}], "s": "ü\n\u2028", "t": True},
        "occurred_at": "2024-02-29T23:59:59.9999+02:00",
    },
}


async def expected(route: APIRoute, content: Any) -> bytes:
    """What FastAPI answers when `route` returns `content`: its response model, validated
    and serialized as the route declares."""
    field = create_model_field(f"Response_{route.name}", route.response_model, mode="serialization")
    body: bytes = await serialize_response(
        field=field,
        response_content=content,
        exclude_unset=route.response_model_exclude_unset,
        is_coroutine=True,
        dump_json=True,
    )
    return body


async def test_every_route_answers_the_bytes_of_its_response_model(
    client: httpx.AsyncClient, service: Any
) -> None:
    built = service[1]
    routes = declared_routes(built)
    served = bindings(built)
    assert {binding.resource.name for binding in served} <= set(SAMPLES)
    ids: dict[str, str] = {}
    for binding in served:
        name, adapter = binding.resource.name, getattr(built.databases, binding.database)()
        body = {**SAMPLES[name], **_references(binding.resource, ids)}
        response = await client.post(f"/{name}", json=body)
        assert response.status_code == 201, response.text
        id = response.json()["id"]
        ids[name] = id
        stored = await adapter.get(binding.resource, UUID(id))
        assert response.content == await expected(routes[f"create_{name}"], stored)
        assert response.headers["etag"] == f'"{stored["version"]}"'
        assert response.headers["location"] == f"/{name}/{id}"

        response = await client.get(f"/{name}/{id}")
        assert response.content == await expected(routes[f"get_{name}"], stored)
        assert response.headers["etag"] == f'"{stored["version"]}"'

        for method, change in (("put", body), ("patch", {})):
            response = await client.request(method, f"/{name}/{id}", json=change)
            stored = await adapter.get(binding.resource, UUID(id))
            verb = "replace" if method == "put" else "update"
            assert response.content == await expected(routes[f"{verb}_{name}"], stored), method
            assert response.headers["etag"] == f'"{stored["version"]}"'

        await create(client, f"/{name}", **_second(name, body))
        response = await client.get(f"/{name}", params={"limit": 5})
        page = response.json()
        rows = [await adapter.get(binding.resource, UUID(item["id"])) for item in page["items"]]
        content = {"items": rows, "total": page["total"], "limit": 5, "offset": 0}
        assert len(rows) == 2
        assert response.content == await expected(routes[f"list_{name}"], content)
        assert response.headers["content-type"] == "application/json"

        problem(await client.get(f"/{name}/{'0' * 8}-0000-7000-8000-{'0' * 12}"), 404)
        problem(await client.patch(f"/{name}/{id}", json={"id": id}), 422)
        problem(await client.patch(f"/{name}/{id}", json={}, headers={"If-Match": '"999"'}), 412)


async def test_expanded_reads_answer_the_bytes_of_the_expanded_model(
    client: httpx.AsyncClient, service: Any
) -> None:
    built = service[1]
    routes = declared_routes(built)
    served = {binding.resource.name: binding for binding in bindings(built)}
    adapters = {name: getattr(built.databases, b.database)() for name, b in served.items()}
    user = await create(client, "/users", email="exp@example.com", name="Exp")
    event = await create(client, "/events", type="view", user_id=user["id"], properties={"x": 1.5})

    response = await client.get(f"/events/{event['id']}", params={"expand": "user,product"})
    stored = await adapters["events"].get(served["events"].resource, UUID(event["id"]))
    stored_user = await adapters["users"].get(served["users"].resource, UUID(user["id"]))
    content = {**stored, "user": stored_user, "product": None}
    assert response.status_code == 200, response.text
    assert response.content == await expected(routes["get_events"], content)

    response = await client.get("/events", params={"expand": "user", "limit": 1})
    content = {"items": [{**stored, "user": stored_user}], "total": 1, "limit": 1, "offset": 0}
    assert response.content == await expected(routes["list_events"], content)


def declared_routes(built: Any) -> dict[str, APIRoute]:
    """The routes the service declares for `built`'s configuration, whichever process
    serves them (this one through ASGI, or workers of `python -m app`)."""
    return api_routes([route for router in routers(built) for route in router.routes])


def api_routes(routes: list[Any]) -> dict[str, APIRoute]:
    """The app's routes by name, those of included routers too."""
    found: dict[str, APIRoute] = {}
    for route in routes:
        if isinstance(route, APIRoute):
            found[route.name] = route
        elif (router := getattr(route, "original_router", None)) is not None:  # an included router
            found.update(api_routes(router.routes))
    return found


def _references(resource: Any, ids: dict[str, str]) -> dict[str, str]:
    """The relations' fields of a new row, pointing at the rows made before it."""
    return {r.field: ids[r.target] for r in resource.relations if r.target in ids}


def _second(name: str, body: dict[str, Any]) -> dict[str, Any]:
    unique = {"users": {"email": "second@example.com"}, "products": {"sku": "enc-2"}}
    return {**body, **unique.get(name, {})}
