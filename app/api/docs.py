"""/docs (Swagger UI) and /redoc (ReDoc) served by the service itself: their JavaScript and
CSS are the files the fastapi-offline package ships, and the pages hold no inline script,
so they work without internet and under a Content-Security-Policy that allows only 'self'.

With API keys on, the /docs and /redoc pages and their files are public (a browser sends
no Bearer header when it loads a page), and a page asks for a key once per tab: the OpenAPI
document and every call made from the page carry it, and need it."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI, Request
from fastapi.openapi.docs import get_swagger_ui_oauth2_redirect_html
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

DOCS_URL = "/docs"
OAUTH2_REDIRECT_URL = "/docs/oauth2-redirect"
ASSETS = "/docs-assets"
STATIC = files("fastapi_offline") / "static"
REDOC_URL = "/redoc"
SWAGGER_INIT = f"{ASSETS}/swagger-init.js"
REDOC_INIT = f"{ASSETS}/redoc-init.js"
# What a browser needs without a key to draw the pages.
PUBLIC_DOCS = frozenset(
    {DOCS_URL, OAUTH2_REDIRECT_URL, SWAGGER_INIT, REDOC_URL, REDOC_INIT}
    | {
        f"{ASSETS}/{name}"
        for name in ("swagger-ui.css", "swagger-ui-bundle.js", "favicon.png", "redoc.standalone.js")
    }
)
# Swagger UI sets style attributes and ReDoc injects <style> elements and a worker from a blob.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self' 'unsafe-inline'; "
    "img-src 'self' data:; worker-src 'self' blob:; connect-src 'self'; frame-ancestors 'none'"
)
# Relative URLs, so that the pages also work behind a proxy that mounts the service on a path.
SWAGGER_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{title}} - Swagger UI</title>
<link rel="icon" href="{ASSETS[1:]}/favicon.png">
<link rel="stylesheet" href="{ASSETS[1:]}/swagger-ui.css">
</head>
<body>
<div id="swagger-ui"></div>
<script src="{ASSETS[1:]}/swagger-ui-bundle.js"></script>
<script src="{SWAGGER_INIT[1:]}" data-openapi="{{openapi}}" data-ask-key="{{ask_key}}"></script>
</body>
</html>
"""
# With data-ask-key="true", each page asks for the key, keeps it for this tab only
# (sessionStorage) and sends it with the requests it makes; a 401 forgets it.
KEY_JS = """const settings = document.currentScript.dataset;
const askKey = settings.askKey === "true";
const multidbKeyName = "multidb-api-key";
function multidbKey() {
  let key = sessionStorage.getItem(multidbKeyName);
  if (!key) {
    key = window.prompt("API key for this service (sent as Authorization: Bearer <key>)") || "";
    sessionStorage.setItem(multidbKeyName, key);
  }
  return key;
}
function multidbForget(response) {
  if (response.status === 401) {
    sessionStorage.removeItem(multidbKeyName);
  }
  return response;
}
"""
# Swagger UI: the key goes with every request unless its own Authorize set one.
SWAGGER_INIT_JS = (
    KEY_JS
    + """function multidbAuthorize(request) {
  if (!request.headers.Authorization) {
    request.headers.Authorization = "Bearer " + multidbKey();
  }
  return request;
}
window.ui = SwaggerUIBundle({
  requestInterceptor: askKey ? multidbAuthorize : (request) => request,
  responseInterceptor: askKey ? multidbForget : (response) => response,
  url: settings.openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  persistAuthorization: false,
  oauth2RedirectUrl: new URL("oauth2-redirect", window.location.href.replace(/\\/?$/, "/")).href,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
)
REDOC_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{title}} - ReDoc</title>
<link rel="icon" href="{ASSETS[1:]}/favicon.png">
</head>
<body>
<div id="redoc"></div>
<script src="{ASSETS[1:]}/redoc.standalone.js"></script>
<script src="{REDOC_INIT[1:]}" data-openapi="{{openapi}}" data-ask-key="{{ask_key}}"></script>
</body>
</html>
"""

# ReDoc cannot send a header with the document's request: the page fetches it, with the key.
REDOC_INIT_JS = (
    KEY_JS
    + """async function multidbSpec() {
  if (!askKey) {
    return settings.openapi;
  }
  const response = multidbForget(
    await fetch(settings.openapi, {headers: {Authorization: "Bearer " + multidbKey()}})
  );
  return response.json();
}
multidbSpec().then((spec) => Redoc.init(spec, {}, document.getElementById("redoc")));
"""
)


def install_docs(app: FastAPI, ask_for_key: bool = False) -> None:
    """/docs and /redoc for an app made with docs_url=None and redoc_url=None; they ask
    for a key if `ask_for_key`."""
    openapi = (app.openapi_url or "/openapi.json").lstrip("/")
    headers = {"Content-Security-Policy": CSP}
    ask_key = "true" if ask_for_key else "false"

    async def swagger_ui(request: Request) -> HTMLResponse:
        page = SWAGGER_PAGE.format(title=app.title, openapi=openapi, ask_key=ask_key)
        return HTMLResponse(page, headers=headers)

    async def redoc(request: Request) -> HTMLResponse:
        page = REDOC_PAGE.format(title=app.title, openapi=openapi, ask_key=ask_key)
        return HTMLResponse(page, headers=headers)

    async def swagger_init(request: Request) -> Response:
        return Response(SWAGGER_INIT_JS, media_type="text/javascript")

    async def redoc_init(request: Request) -> Response:
        return Response(REDOC_INIT_JS, media_type="text/javascript")

    async def oauth2_redirect(request: Request) -> HTMLResponse:
        return get_swagger_ui_oauth2_redirect_html()

    app.add_route(DOCS_URL, swagger_ui, include_in_schema=False)
    app.add_route(REDOC_URL, redoc, include_in_schema=False)
    app.add_route(SWAGGER_INIT, swagger_init, include_in_schema=False)
    app.add_route(REDOC_INIT, redoc_init, include_in_schema=False)
    app.add_route(OAUTH2_REDIRECT_URL, oauth2_redirect, include_in_schema=False)
    # After the route above, which the mount would otherwise answer with a 404.
    app.mount(ASSETS, StaticFiles(directory=str(STATIC)), name="docs-assets")
