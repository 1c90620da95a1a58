"""The interactive documentation at /docs. With API keys on, the page itself is public (a
browser sends no Bearer header when it loads a page), and asks for a key once per tab:
the OpenAPI document and every call made from the page carry it, and need it."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_html, get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
PUBLIC_DOCS = frozenset({DOCS_URL, OAUTH2_REDIRECT_URL})

# Asks for the key, keeps it for this tab only (sessionStorage), and sends it with every
# request the page makes unless Swagger UI's own Authorize set one; a 401 forgets it.
_KEY_PROMPT = """
    <script>
    const multidbKeyName = "multidb-api-key";
    function multidbKey() {
        let key = sessionStorage.getItem(multidbKeyName);
        if (!key) {
            key = window.prompt("API key for this service (sent as Authorization: Bearer <key>)") || "";
            sessionStorage.setItem(multidbKeyName, key);
        }
        return key;
    }
    function multidbAuthorize(request) {
        if (!request.headers.Authorization) {
            request.headers.Authorization = "Bearer " + multidbKey();
        }
        return request;
    }
    function multidbForget(response) {
        if (response.status === 401) {
            sessionStorage.removeItem(multidbKeyName);
        }
        return response;
    }
    </script>
    <script>
    const ui = SwaggerUIBundle({
        requestInterceptor: multidbAuthorize,
        responseInterceptor: multidbForget,"""


def install_docs(app: FastAPI, ask_for_key: bool) -> None:
    """Serve /docs (build the app with docs_url=None), asking for a key if `ask_for_key`."""

    async def docs(request: Request) -> HTMLResponse:
        root_path = request.scope.get("root_path", "").rstrip("/")
        page = get_swagger_ui_html(
            openapi_url=root_path + (app.openapi_url or "/openapi.json"),
            title=f"{app.title} - Swagger UI",
            oauth2_redirect_url=root_path + OAUTH2_REDIRECT_URL,
            swagger_ui_parameters={"persistAuthorization": False},
        )
        if not ask_for_key:
            return page
        html = bytes(page.body).decode()
        start = "<script>\n    const ui = SwaggerUIBundle({"
        if start not in html:
            raise RuntimeError("FastAPI's Swagger UI page changed: the key prompt has no place in it")
        return HTMLResponse(html.replace(start, _KEY_PROMPT, 1))

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(DOCS_URL, docs, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
