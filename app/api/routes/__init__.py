from __future__ import annotations

from fastapi import APIRouter

from app.api.crud import create_standard_routes
from app.api.routes import health
from containers.databases import served


def routers(container: object) -> list[APIRouter]:
    """/health, and the CRUD routes of each resource that a controller provider of
    `container` serves: a new resource is served by its provider line alone."""
    crud = [
        create_standard_routes(
            APIRouter(prefix=f"/{resource.name}", tags=[resource.name]),
            resource=resource,
            controller=provider,
        )
        for resource, provider in served(container)
    ]
    return [health.router, *crud]
