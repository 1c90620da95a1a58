"""GET /status: the status page (app/api/status_page.py), every database's state as
/health finds it, with the routing table, pools, replicas, shards and tenants. Behind API
keys like every route; not in the OpenAPI document, which describes the JSON API."""

from __future__ import annotations

from datetime import UTC, datetime

from fastapi import FastAPI, Request
from fastapi.responses import HTMLResponse

from app.adapters.composite import CompositeAdapter
from app.adapters.interface import Store
from app.api.status_page import CSP, CompositeView, DatabaseView, StatusView, render
from containers import Container
from containers.named import adapters_by_name
from containers.routing import routes, where
from settings.settings import PRIMARY

STATUS_URL = "/status"


async def status_page(request: Request) -> HTMLResponse:
    view = await status_view(request.app.state.container)
    return HTMLResponse(render(view, request.app.title), headers={"Content-Security-Policy": CSP})


async def status_view(container: Container) -> StatusView:
    report = await container.health().check()
    adapters = adapters_by_name(container.databases)
    databases = []
    for name, health in (report.databases or {}).items():
        adapter = adapters[name]
        assert isinstance(adapter, Store)  # /health reports stores, composites by their members
        falls_back = adapter is adapters[PRIMARY] and name != PRIMARY
        databases.append(DatabaseView(name, health, where(adapter), adapter.pool_use(), falls_back))
    composites = [
        CompositeView(name, adapter.db_type, [(key, member.name) for key, member in adapter.members.items()])
        for name, adapter in adapters.items()
        if isinstance(adapter, CompositeAdapter)
    ]
    return StatusView(report.status, datetime.now(UTC), routes(container), databases, composites)


def install_status(app: FastAPI) -> None:
    app.add_route(STATUS_URL, status_page, methods=["GET"], include_in_schema=False)
