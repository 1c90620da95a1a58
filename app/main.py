from __future__ import annotations

import sys
from functools import cache
from typing import Any

from fastapi import FastAPI

from app.api.auth import PUBLIC_PATHS, ApiKeyMiddleware, document_api_keys
from app.api.body_limit import BodyLimitMiddleware
from app.api.consistency import ConsistencyMiddleware, tokens_needed
from app.api.cors import CORSMiddleware, cors_options
from app.api.dispatch import dispatch_by_first_segment
from app.api.docs import PUBLIC_DOCS, install_docs
from app.api.http_metrics import telemetry
from app.api.methods import MethodsMiddleware
from app.api.openapi import amend_openapi, document_body_limit, document_links
from app.api.problems import install_problem_handlers, problem_json_openapi
from app.api.request_ids import install_request_ids
from app.api.routes import routers
from app.api.routes.metrics import metrics_public
from app.api.routes.status import STATUS_URL, install_status
from app.api.server import warn_without_limits
from app.api.tenants import TenantMiddleware, document_tenants
from app.lifespan import lifespan
from app.logs import configure_logging_from
from containers import Container
from containers.databases import bindings, unserved_resources
from settings import ConfigurationError


def create_app(container: Container | None = None) -> FastAPI:
    """The service around `container` (by default one built from the environment).

    dependency-injector wires module functions, so the last app created in a process
    is the one its routes resolve from: build one app per process, and swap a
    database in tests with `container.databases.<name>.override(...)`.
    """
    container = container if container is not None else Container()
    settings = container.settings()
    app = FastAPI(
        title="multidb",
        summary="One FastAPI service, several databases, chosen by configuration.",
        lifespan=lifespan,
        redirect_slashes=False,  # done by app.api.slashes, with a relative Location
        docs_url=None,  # /docs and /redoc from the service's own files: app.api.docs
        redoc_url=None,
        telemetry=telemetry(container.tracer_provider()),
    )
    app.state.container = container
    app.state.retry_after = settings.RETRY_AFTER_SECONDS
    install_problem_handlers(app)
    install_docs(app, ask_for_key=bool(settings.api_keys))
    # Before any other middleware: it has the innermost layer. Outside all, it counts every
    # answer in the HTTP metrics and gives each its X-Request-ID and nosniff, refusals included.
    install_request_ids(app, container.metrics())
    install_status(app)
    if tokens_needed(settings):
        app.add_middleware(ConsistencyMiddleware)
    app.add_middleware(MethodsMiddleware, routes=app.router.routes)
    unserved = unserved_resources(container)  # TENANT_SHARED leaves them out
    for router in routers(container):
        if router.prefix.removeprefix("/") not in unserved:
            # The routes become the app's own: an included router is one more layer that
            # every request is matched through (bench/README.md, "Issue 11, the HTTP side").
            app.router.routes.extend(router.routes)
    container.wire()  # after the routes exist: wiring binds the route functions it finds
    problem_json_openapi(app)
    app.add_middleware(BodyLimitMiddleware, max_bytes=settings.MAX_BODY_BYTES)
    amend_openapi(app, document_body_limit, document_links)
    if settings.TENANT_SELECTED:  # inside the API key check, which tells the key's tenant
        app.add_middleware(TenantMiddleware, source=settings.TENANT_FROM, header=settings.TENANT_HEADER)
        selected = [
            f"/{b.resource.name}" for b in bindings(container) if b.database in settings.TENANT_SELECTED
        ]
        amend_openapi(app, document_tenants(selected, settings.TENANT_FROM, settings.TENANT_HEADER))
    if settings.api_keys:
        public = PUBLIC_PATHS | PUBLIC_DOCS | metrics_public(settings)
        app.add_middleware(ApiKeyMiddleware, keys=settings.api_keys, public=public, pages={STATUS_URL})
        amend_openapi(app, document_api_keys)
    if settings.CORS_ORIGINS:  # outside the key check: a browser's preflight carries no key
        app.add_middleware(CORSMiddleware, **cors_options(settings))
    dispatch_by_first_segment(app.router)
    return app


@cache
def _default_app() -> FastAPI:
    try:
        container = Container()
    except ConfigurationError as error:
        sys.exit(f"multidb: {error}")
    settings = container.settings()
    configure_logging_from(settings, with_pid=settings.WORKERS > 1)
    return create_app(container)


def __getattr__(name: str) -> Any:
    # `app.main:app` is built on first use, not on import, so that importing
    # create_app does not read the environment or wire a container.
    if name == "app":
        return _served_by_another_command()
    raise AttributeError(name)


@cache
def _served_by_another_command() -> FastAPI:
    app = _default_app()
    warn_without_limits(sys.argv)
    return app
