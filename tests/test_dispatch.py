"""The dispatch by first segment (app/api/dispatch.py) answers every request as the whole
router does: the same status, headers and body, found routes, 404s, 405s, 412s, 422s and
redirects alike, with routes added after the app was made. Each request is sent twice, so
none of them changes what is stored."""

from __future__ import annotations

import httpx
from fastapi import APIRouter, FastAPI

from app.api.dispatch import SegmentDispatch, first_segment
from app.main import create_app
from tests.support.service import container, settings

PRODUCT = {"sku": "d-1", "name": "D", "price": "1.50"}
SAME_ID = {"X-Request-ID": "dispatch-test"}  # problem+json bodies carry it
# Added after the app was made: one more route under a segment the table knows, and one
# whose first segment is a parameter, which every segment's routes must keep.
extra = APIRouter()


@extra.get("/products/extra/{name}")
async def products_extra(name: str) -> dict[str, str]:
    return {"extra": name}


@extra.get("/{anything}/deep")
async def deep(anything: str) -> dict[str, str]:
    return {"deep": anything}


def requests(id: str) -> list[tuple[str, str, dict[str, str]]]:
    json_body = {"Content-Type": "application/json"}
    return [
        ("GET", f"/products/{id}", {}),
        ("GET", f"/products/{id}", {"If-None-Match": '"1"'}),
        ("HEAD", f"/products/{id}", {}),
        ("PATCH", f"/products/{id}", json_body),  # refused: a price that is not one
        ("PATCH", f"/products/{id}", {**json_body, "If-Match": '"9"'}),
        ("POST", f"/products/{id}", json_body),
        ("OPTIONS", f"/products/{id}", {}),
        ("GET", "/products/0190a0a0-0000-7000-8000-000000000000", {}),
        ("GET", "/products/not-an-id", {}),
        ("GET", "/products/", {}),
        ("GET", "/products?limit=1", {}),
        ("DELETE", "/products", {}),
        ("GET", "/products/extra/x", {}),
        ("GET", "/products/deep", {}),
        ("GET", "/users/deep", {}),
        ("GET", "/products/a/b/c", {}),
        ("GET", "/nothing", {}),
        ("GET", "/", {}),
        ("GET", "//products", {}),
        ("POST", "/health", {}),
        ("GET", "/health/live", {}),
        ("GET", "/openapi.json", {}),
        ("GET", "/docs", {}),
        ("GET", "/docs/", {}),
        ("GET", "/docs-assets/swagger-init.js", {}),
        ("GET", "/docs-assets/none.js", {}),
        ("POST", "/status", {}),  # its GET answers the time
    ]


def answer(response: httpx.Response) -> tuple[int, list[tuple[str, str]], bytes]:
    headers = [(k, v) for k, v in response.headers.multi_items() if k != "date"]
    return response.status_code, headers, response.content


async def test_every_answer_is_the_whole_routers() -> None:
    app = create_app(container(settings(DB_TYPE="memory")))
    app.include_router(extra)
    dispatch = app.router.middleware_stack
    assert isinstance(dispatch, SegmentDispatch)
    async with app.router.lifespan_context(app):
        transport = httpx.ASGITransport(app=app)
        async with httpx.AsyncClient(transport=transport, base_url="http://multidb.test") as client:
            id = (await client.post("/products", json=PRODUCT)).json()["id"]
            for method, path, headers in requests(id):
                body = b'{"price": "two"}' if method in ("PATCH", "POST") else None
                answers = []
                for stack in (dispatch, app.router.app):
                    app.router.middleware_stack = stack
                    response = await client.request(method, path, headers=SAME_ID | headers, content=body)
                    answers.append(answer(response))
                assert answers[0] == answers[1], (method, path)
                app.router.middleware_stack = dispatch


def test_only_a_literal_first_segment_narrows_the_routes() -> None:
    app = FastAPI()
    app.get("/products/{id}")(deep)
    app.get("/{anything}/deep")(deep)
    app.get("/")(deep)
    found = [first_segment(route) for route in app.router.routes if getattr(route, "path", "") != "/docs"]
    assert found[-3:] == ["products", None, ""]
