"""HEAD, OPTIONS and Allow, CORS, conditional requests, and /docs with API keys on."""

from __future__ import annotations

from collections.abc import AsyncIterator

import httpx
import pytest

from tests.contract.helpers import problem
from tests.support.service import container, serve, settings

KEY = "semantics-key-0123456789"
RO_KEY = "semantics-ro-key-0123456"
AUTH = {"Authorization": f"Bearer {KEY}"}
ORIGIN = "https://app.example.com"
PRODUCT = {"sku": "s-1", "name": "S", "price": "1.50"}


@pytest.fixture
async def client() -> AsyncIterator[httpx.AsyncClient]:
    config = settings(
        DB_TYPE="memory", API_KEYS=f"{KEY},ro:{RO_KEY}", CORS_ORIGINS=f"{ORIGIN},http://localhost:3000"
    )
    async with serve(container(config)) as served:
        yield served


# Documents made afresh by each request: /metrics counts the GET just before, /health
# measures each database's ping latency again (a 0.4 ms ping and a 12.35 ms one differ
# in length).
LIVE = frozenset({"/metrics", "/health"})


async def test_head_answers_every_get_without_a_body(client: httpx.AsyncClient) -> None:
    id = (await client.post("/products", json=PRODUCT, headers=AUTH)).json()["id"]
    document = (await client.get("/openapi.json", headers=AUTH)).json()
    paths = [path.replace("{id}", id) for path, ops in document["paths"].items() if "get" in ops]
    assert len(paths) >= 7
    for path in paths:
        get = await client.get(path, headers=AUTH)
        head = await client.head(path, headers={"Authorization": f"Bearer {RO_KEY}"})
        assert (head.status_code, head.content) == (get.status_code, b""), path
        assert head.headers.get("etag") == get.headers.get("etag")
        if path in LIVE:  # its own body, unsent, whose length no GET can repeat
            assert int(head.headers["content-length"]) > 0
        else:
            assert head.headers["content-length"] == get.headers["content-length"], path
    assert (await client.head("/products")).status_code == 401  # still needs a key


async def test_options_and_405_list_every_method_of_the_path(client: httpx.AsyncClient) -> None:
    id = "0190a5f0-0000-7000-8000-000000000000"
    collection = await client.options("/users", headers=AUTH)
    one = await client.options(f"/users/{id}", headers=AUTH)
    not_allowed = await client.put("/users", json={}, headers=AUTH)

    assert collection.status_code == one.status_code == 204
    assert collection.headers["allow"] == "GET, POST, HEAD, OPTIONS"
    assert one.headers["allow"] == "GET, PUT, PATCH, DELETE, HEAD, OPTIONS"
    problem(not_allowed, 405)
    assert not_allowed.headers["allow"] == "GET, POST, HEAD, OPTIONS"
    assert (await client.options("/users")).status_code == 401  # a plain OPTIONS needs a key
    problem(await client.options("/no-such-path", headers=AUTH), 404)


async def test_a_preflight_is_answered_without_a_key_and_the_request_still_needs_one(
    client: httpx.AsyncClient,
) -> None:
    preflight = await client.options(
        "/products",
        headers={
            "Origin": ORIGIN,
            "Access-Control-Request-Method": "POST",
            "Access-Control-Request-Headers": "authorization, content-type, if-match",
        },
    )
    keyless = await client.post("/products", json=PRODUCT, headers={"Origin": ORIGIN})
    credentialed = await client.post("/products", json=PRODUCT, headers={"Origin": ORIGIN, **AUTH})
    stranger = await client.options(
        "/products", headers={"Origin": "https://evil.example", "Access-Control-Request-Method": "POST"}
    )
    stranger_get = await client.get("/products", headers={"Origin": "https://evil.example", **AUTH})

    assert preflight.status_code == 200
    assert preflight.headers["access-control-allow-origin"] == ORIGIN
    assert preflight.headers["access-control-allow-credentials"] == "true"
    assert preflight.headers["access-control-max-age"] == "600"
    assert "POST" in preflight.headers["access-control-allow-methods"]
    assert "Authorization" in preflight.headers["access-control-allow-headers"]
    problem(keyless, 401)
    assert keyless.headers["access-control-allow-origin"] == ORIGIN  # the browser may read why
    assert credentialed.status_code == 201
    assert credentialed.headers["access-control-allow-origin"] == ORIGIN
    assert "ETag" in credentialed.headers["access-control-expose-headers"]
    assert stranger.status_code == 400
    assert "access-control-allow-origin" not in stranger.headers
    assert "access-control-allow-origin" not in stranger_get.headers


async def test_without_cors_origins_no_cors_header_is_sent() -> None:
    async with serve(container(settings(DB_TYPE="memory"))) as plain:
        answer = await plain.get("/users", headers={"Origin": ORIGIN})
    assert not [name for name in answer.headers if name.startswith("access-control-")]


async def test_conditional_requests(client: httpx.AsyncClient) -> None:
    created = await client.post("/products", json=PRODUCT, headers=AUTH)
    path = f"/products/{created.json()['id']}"
    etag = created.headers["etag"]
    assert etag == '"1"'

    cached = await client.get(path, headers={**AUTH, "If-None-Match": f'W/"9", {etag}'})
    assert (cached.status_code, cached.content, cached.headers["etag"]) == (304, b"", etag)
    assert (await client.get(path, headers={**AUTH, "If-None-Match": '"2"'})).status_code == 200

    padded = await client.patch(path, json={"stock": 1}, headers={**AUTH, "If-Match": '"0001"'})
    problem(padded, 412)  # "0001" is not version 1
    headers = [("Authorization", AUTH["Authorization"]), ("If-Match", '"7"'), ("If-Match", etag)]
    second = await client.patch(path, json={"stock": 2}, headers=headers)
    assert second.status_code == 200  # the second If-Match header counts too
    since = {**AUTH, "If-Unmodified-Since": "Mon, 30 Nov 2026 07:00:00 GMT"}
    refused = await client.delete(path, headers=since)
    assert "If-Unmodified-Since is not supported" in problem(refused, 400)["detail"]
    assert (await client.get(path, headers=AUTH)).json()["stock"] == 2  # nothing changed


async def test_the_docs_page_loads_without_a_key_and_asks_for_one(client: httpx.AsyncClient) -> None:
    page = await client.get("/docs")
    assert page.status_code == 200
    assert page.headers["content-type"].startswith("text/html")
    assert 'data-ask-key="true"' in page.text
    script = await client.get("/docs-assets/swagger-init.js")  # the page's, public like it
    assert script.status_code == 200
    assert "requestInterceptor: askKey ? multidbAuthorize" in script.text
    assert KEY not in page.text
    problem(await client.get("/openapi.json"), 401)
    assert (await client.get("/openapi.json", headers=AUTH)).status_code == 200


async def test_the_redoc_page_loads_without_a_key_and_fetches_the_document_with_one(
    client: httpx.AsyncClient,
) -> None:
    page = await client.get("/redoc")
    assert page.status_code == 200
    assert 'data-ask-key="true"' in page.text
    assert "spec-url" not in page.text  # ReDoc's own fetch could not carry the key
    for asset in ("redoc-init.js", "redoc.standalone.js"):
        assert (await client.get(f"/docs-assets/{asset}")).status_code == 200
    script = (await client.get("/docs-assets/redoc-init.js")).text
    assert 'Authorization: "Bearer " + multidbKey()' in script
    assert "Redoc.init(spec" in script
