from __future__ import annotations

from fastapi import APIRouter

from app.api.crud import create_standard_routes
from app.api.routes import health, probes
from containers import Container
from containers.databases import bindings, served


def routers(container: Container) -> list[APIRouter]:
    """/health and its probes, and the CRUD routes of each resource that a controller provider of
    `container` serves: a new resource is served by its provider line alone."""
    resources = dict(served(container))
    by_name = {resource.name: resource for resource in resources}
    database = {binding.resource.name: binding.database for binding in bindings(container)}
    crud = [
        create_standard_routes(
            APIRouter(prefix=f"/{resource.name}", tags=[resource.name]),
            resource=resource,
            controller=provider,
            served=by_name,
            database=database[resource.name],
        )
        for resource, provider in resources.items()
    ]
    return [health.router, probes.router, *crud]
