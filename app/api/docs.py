"""/docs (Swagger UI) and /redoc (ReDoc) served by the service itself: their JavaScript and
CSS are the files the fastapi-offline package ships, and the pages hold no inline script,
so they work without internet and under a Content-Security-Policy that allows only 'self'."""

from __future__ import annotations

from importlib.resources import files

from fastapi import FastAPI
from fastapi.responses import HTMLResponse, Response
from fastapi.staticfiles import StaticFiles

ASSETS = "/docs-assets"
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
<script src="{ASSETS[1:]}/swagger-init.js" data-openapi="{{openapi}}"></script>
</body>
</html>
"""
SWAGGER_INIT = """const openapi = document.currentScript.dataset.openapi;
window.ui = SwaggerUIBundle({
  url: openapi,
  dom_id: "#swagger-ui",
  layout: "BaseLayout",
  deepLinking: true,
  showExtensions: true,
  showCommonExtensions: true,
  presets: [SwaggerUIBundle.presets.apis, SwaggerUIBundle.SwaggerUIStandalonePreset],
});
"""
REDOC_PAGE = f"""<!doctype html>
<html lang="en">
<head>
<meta charset="utf-8">
<title>{{title}} - ReDoc</title>
<link rel="icon" href="{ASSETS[1:]}/favicon.png">
</head>
<body>
<redoc spec-url="{{openapi}}"></redoc>
<script src="{ASSETS[1:]}/redoc.standalone.js"></script>
</body>
</html>
"""


def install_docs(app: FastAPI) -> None:
    """/docs and /redoc for an app made with docs_url=None and redoc_url=None."""
    openapi = (app.openapi_url or "/openapi.json").lstrip("/")
    headers = {"Content-Security-Policy": CSP}

    @app.get("/docs", include_in_schema=False)
    async def swagger_ui() -> HTMLResponse:
        return HTMLResponse(SWAGGER_PAGE.format(title=app.title, openapi=openapi), headers=headers)

    @app.get("/redoc", include_in_schema=False)
    async def redoc() -> HTMLResponse:
        return HTMLResponse(REDOC_PAGE.format(title=app.title, openapi=openapi), headers=headers)

    @app.get(f"{ASSETS}/swagger-init.js", include_in_schema=False)
    async def swagger_init() -> Response:
        return Response(SWAGGER_INIT, media_type="text/javascript")

    # After the route above, which the mount would otherwise answer with a 404.
    app.mount(ASSETS, StaticFiles(directory=str(files("fastapi_offline") / "static")), name="docs-assets")
